"""The manifest of a build: what it is written with (`manifest_for`) and what is read back from
it (`stamps`, `file_hashes`); whether a build still fits is `staleness.py`."""

from __future__ import annotations

from typing import Any, Sequence

from .._version import __version__
from ..config import Settings
from ..corpus import CorpusFile, Stamp

# 2: token vectors; 3: and the token vectors of each sentence's heading; 4: documents' extracted
# text (documents.jsonl), passages' pages, and files skipped with their reasons; 5: vectors as
# memory-mapped .npy files, an approximate (IVF) search index above a size, described in the
# manifest's "vector_index"
FORMAT = 5
# A file modified this close to the scan that hashed it gets no stamp: a second change within the
# file system's clock step could keep size and modification time (git's "racily clean" files).
RACY_NS = 2_000_000_000


def manifest_for(
    settings: Settings,
    files: dict[str, str],
    skipped: dict[str, dict[str, str]],
    dimension: int,
    counts: dict[str, int],
    scanned: Sequence[CorpusFile] = (),
    scanned_ns: int = 0,
) -> dict[str, Any]:
    """The manifest of a build of `files` ({source: sha256}) made with `settings`; `skipped`
    holds the files that could not be read ({source: {"sha256", "reason"}}), so that an
    unchanged unreadable file does not make the index look stale. `stamps` holds the size and
    modification time of the files of `scanned` (hashed by a scan that began at `scanned_ns`),
    which a check of the corpus trusts without reading the file."""
    return {
        "format": FORMAT,
        "tilqa_version": __version__,
        "model": settings.model,
        "dimension": dimension,
        "chunking": settings.chunking_params(),
        "token_vectors": settings.token_scoring,
        "files": files,
        "skipped": skipped,
        "stamps": {f.source: [f.size, f.mtime_ns] for f in scanned if f.mtime_ns < scanned_ns - RACY_NS},
        **counts,
    }


def stamps(manifest: dict[str, Any]) -> dict[str, Stamp]:
    """The stamps of a build's files: size, modification time and hash, by source (none when
    the manifest's are not readable: then every file is read)."""
    try:
        hashes = file_hashes(manifest)
        return {
            source: Stamp(size=int(size), mtime_ns=int(mtime_ns), sha256=hashes[source])
            for source, (size, mtime_ns) in manifest.get("stamps", {}).items()
            if source in hashes
        }
    except (AttributeError, TypeError, ValueError):
        return {}


def file_hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """The SHA-256 of every file the build saw, indexed or skipped as unreadable, by source."""
    hashes = dict(manifest.get("files", {}))
    hashes.update({source: entry.get("sha256", "") for source, entry in manifest.get("skipped", {}).items()})
    return hashes
