"""Reading the corpus: every `.txt` and `.md` file under a folder, as text with a content hash."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

from .errors import CorpusError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")


@dataclass(frozen=True)
class Document:
    """One corpus file: `source` is its path relative to the corpus folder, with `/`."""

    source: str
    text: str
    sha256: str


@dataclass(frozen=True)
class SkippedFile:
    source: str
    reason: str


def file_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus's document files, sorted; raises CorpusError if the folder does not exist."""
    if not corpus_dir.exists():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus path {corpus_dir} is not a directory")
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.suffix.lower() in SUFFIXES and p.is_file() and not _hidden(p, corpus_dir)
    )


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def read_document(path: Path, corpus_dir: Path) -> Document | SkippedFile:
    """Read one file, or say why it is skipped (empty, binary, not UTF-8)."""
    source = path.relative_to(corpus_dir).as_posix()
    data = path.read_bytes()
    if b"\x00" in data:
        return SkippedFile(source, "binary file (contains NUL bytes)")
    try:
        # Newlines as `Path.read_text` gives them, so that offsets match what users read back.
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        return SkippedFile(source, f"not valid UTF-8 (byte {exc.start})")
    if not text.strip():
        return SkippedFile(source, "empty file")
    return Document(source=source, text=text, sha256=file_hash(data))


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[SkippedFile]]:
    """All readable documents of the corpus, plus the files skipped with a warning each.

    Raises CorpusError when the folder is missing or no file in it can be read.
    """
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    for path in corpus_files(corpus_dir):
        result = read_document(path, corpus_dir)
        if isinstance(result, SkippedFile):
            log.warning("skipping %s: %s", result.source, result.reason)
            skipped.append(result)
        else:
            documents.append(result)
    if not documents:
        detail = f" ({len(skipped)} unreadable file(s) skipped)" if skipped else ""
        raise CorpusError(
            f"corpus directory {corpus_dir} holds no readable .txt or .md document{detail}"
        )
    return documents, skipped


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """Content hash of every corpus file that would be indexed, keyed by source."""
    documents, _ = load_corpus(corpus_dir)
    return {d.source: d.sha256 for d in documents}
