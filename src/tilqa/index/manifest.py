"""The manifest of a build, and why a build no longer fits the corpus or the settings."""

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
        hashes = _hashes(manifest)
        return {
            source: Stamp(int(size), int(mtime_ns), hashes[source])
            for source, (size, mtime_ns) in manifest.get("stamps", {}).items()
            if source in hashes
        }
    except (AttributeError, TypeError, ValueError):
        return {}


def stale_reason(manifest: dict[str, Any], settings: Settings, files: dict[str, str]) -> str | None:
    """Why an index built with `manifest` does not fit these settings and the corpus files
    `files` ({source: sha256}), or None."""
    if manifest.get("format") != FORMAT:
        return f"index is in format {manifest.get('format')}, this tilqa writes format {FORMAT}"
    if manifest.get("tilqa_version") != __version__:
        return f"index was built by tilqa {manifest.get('tilqa_version')}, this is {__version__}"
    if manifest.get("model") != settings.model:
        return f"model changed from {manifest.get('model')} to {settings.model}"
    if manifest.get("chunking") != settings.chunking_params():
        return "chunking settings changed"
    if settings.token_scoring and not manifest.get("token_vectors"):
        return "sentence_scoring 'tokens' needs token vectors, which the index was built without"
    return _corpus_changes(_hashes(manifest), files)


def _hashes(manifest: dict[str, Any]) -> dict[str, str]:
    """The SHA-256 of every file the build saw, indexed or skipped as unreadable, by source."""
    hashes = dict(manifest.get("files", {}))
    hashes.update({source: entry.get("sha256", "") for source, entry in manifest.get("skipped", {}).items()})
    return hashes


def _corpus_changes(old: dict[str, str], files: dict[str, str]) -> str | None:
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    changed = sorted(s for s in set(files) & set(old) if files[s] != old[s])
    parts = [
        f"{label}: {', '.join(names[:3])}{' …' if len(names) > 3 else ''}"
        for label, names in (("added", added), ("changed", changed), ("removed", removed))
        if names
    ]
    return "corpus " + "; ".join(parts) if parts else None
