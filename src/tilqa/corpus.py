"""The corpus folder: its document files listed and hashed, nothing extracted.

A file is listed (`scan_corpus`) and hashed cheaply, trusting a file whose size and modification
time match the live build's stamps, so that telling whether the index is stale reads little.
Extracting a file's text is the build's job (`indexing/reading.py`), done only for files that
changed, so an unchanged PDF is never extracted twice.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .documents import READABLE, SUFFIXES, SkippedFile
from .errors import CorpusError


@dataclass(frozen=True)
class CorpusFile:
    """A document file of the corpus: `source` is its path relative to the corpus folder, with `/`."""

    source: str
    path: Path
    sha256: str
    size: int = 0
    mtime_ns: int = 0


@dataclass(frozen=True)
class Stamp:
    """What a check of the corpus trusts without reading a file: its size and modification time
    when a build hashed it."""

    size: int
    mtime_ns: int
    sha256: str


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_folder(corpus_dir: Path) -> None:
    if not corpus_dir.exists():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a directory")


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus's files of a readable type, sorted (hidden files and folders left out).

    :raises CorpusError: when the folder does not exist.
    """
    _check_folder(corpus_dir)
    return [p for p in _visible_files(corpus_dir) if p.suffix.lower() in SUFFIXES]


def _visible_files(corpus_dir: Path) -> list[Path]:
    """Files under `corpus_dir`, sorted, hidden files and folders (a leading dot) left out. Links
    to folders are not followed; a link to a file is followed only when it resolves inside the
    corpus folder (`outside_links` lists the others), so no file elsewhere is ever read."""
    return [p for p in _listed(corpus_dir) if not _leaves(p, corpus_dir)]


def outside_links(corpus_dir: Path) -> list[Path]:
    """Visible links in the corpus folder to files outside it: never read, skipped with a reason."""
    return [p for p in _listed(corpus_dir) if _leaves(p, corpus_dir)]


def _listed(corpus_dir: Path) -> list[Path]:
    found = []
    for folder, subfolders, names in os.walk(corpus_dir):
        subfolders[:] = [d for d in subfolders if not d.startswith(".")]
        base = Path(folder)
        found.extend(base / n for n in names if not n.startswith(".") and os.path.isfile(os.path.join(folder, n)))
    return sorted(found)


def _leaves(path: Path, corpus_dir: Path) -> bool:
    """Whether `path` is a link (or under one) that resolves outside `corpus_dir`."""
    if not path.is_symlink():
        return False
    try:
        return not path.resolve(strict=True).is_relative_to(corpus_dir.resolve(strict=True))
    except (OSError, RuntimeError):  # broken or looping links
        return True


def scan_corpus(
    corpus_dir: Path, stamps: Mapping[str, Stamp] | None = None
) -> tuple[list[CorpusFile], list[SkippedFile]]:
    """Every readable-type file with its content hash, and the files of other types, skipped.
    A file whose size and modification time match its entry in `stamps` keeps that entry's hash
    unread (as make and rsync judge a file); every other file is read and hashed.

    :raises CorpusError: when the folder does not exist.
    """
    _check_folder(corpus_dir)
    files: list[CorpusFile] = []
    skipped: list[SkippedFile] = []
    for path in _listed(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        if _leaves(path, corpus_dir):
            skipped.append(SkippedFile(source=source, reason="a link to a file outside the corpus folder (not read)"))
            continue
        if path.suffix.lower() not in SUFFIXES:
            kind = path.suffix.lower() or "without a suffix"
            skipped.append(SkippedFile(source=source, reason=f"unsupported file type {kind} (tilqa reads {READABLE})"))
            continue
        try:
            stat = path.stat()
            known = stamps.get(source) if stamps else None
            if known is not None and (known.size, known.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                sha256 = known.sha256
            else:
                sha256 = file_hash(path.read_bytes())
            files.append(CorpusFile(source=source, path=path, sha256=sha256, size=stat.st_size, mtime_ns=stat.st_mtime_ns))
        except OSError as exc:  # removed or unreadable since listed
            skipped.append(SkippedFile(source=source, reason=f"cannot be read ({exc.strerror or exc})"))
    return files, skipped


def corpus_fingerprint(corpus_dir: Path, stamps: Mapping[str, Stamp] | None = None) -> dict[str, str]:
    """Content hash of every corpus file of a readable type, keyed by source (nothing extracted);
    files matching their `stamps` are not read (see `scan_corpus`)."""
    files, _ = scan_corpus(corpus_dir, stamps)
    return {f.source: f.sha256 for f in files}
