"""Whether the live index must be rebuilt, and why: decided here and nowhere else.

`check_index` opens the live build once (every file validated, not only the manifest), hashes
the corpus (trusting the build's stamps) and compares the two; both a stale start of `Assistant`
and a build (`indexing.refresh_index`) ask it, and the build trusts the answer it is handed when
the live build has not changed since, so a stale start reads the old index once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Mapping

from .._version import __version__
from ..config import Settings
from ..corpus import corpus_fingerprint
from ..errors import IndexCorruptError, IndexFormatError
from .manifest import FORMAT, file_hashes, stamps
from .records import IndexData
from .store import current_build, load_index

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IndexCheck:
    """What `check_index` found: the live build it examined (None when there was none), the index
    as loaded (None when it could not be), why it must be rebuilt (None when it fits), and
    whether it is damaged (then a rebuild reuses nothing of it)."""

    build_id: str | None
    data: IndexData | None
    reason: str | None
    damaged: bool = False


def check_index(settings: Settings, files: Mapping[str, str] | None = None) -> IndexCheck:
    """Open the live index and say whether and why it must be rebuilt for `settings` and the
    corpus files `files` ({source: sha256}; default: the corpus hashed now, files whose size
    and modification time match the build's stamps not read). A damaged index is logged as a
    warning; an index in another format is stale, not damaged.

    :raises CorpusError: when `files` is not given and the corpus folder does not exist.
    """
    build_id = current_build(settings.index_dir)
    if build_id is None:
        return IndexCheck(build_id=None, data=None, reason="no index yet")
    try:
        data = load_index(settings.index_dir)
    except FileNotFoundError:  # removed since
        return IndexCheck(build_id=None, data=None, reason="no index yet")
    except IndexFormatError as exc:
        return IndexCheck(build_id=build_id, data=None, reason=str(exc))
    except IndexCorruptError as exc:
        log.warning("index in %s is damaged: %s", settings.index_dir, exc)
        return IndexCheck(build_id=build_id, data=None, reason=f"index damaged: {exc}", damaged=True)
    if files is None:
        files = corpus_fingerprint(settings.corpus_dir, stamps(data.manifest))
    return IndexCheck(build_id=data.build_id, data=data, reason=stale_reason(data.manifest, settings, files))


def stale_reason(manifest: dict[str, Any], settings: Settings, files: Mapping[str, str]) -> str | None:
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
    return _corpus_changes(file_hashes(manifest), files)


def _corpus_changes(old: Mapping[str, str], files: Mapping[str, str]) -> str | None:
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    changed = sorted(s for s in set(files) & set(old) if files[s] != old[s])
    parts = [
        f"{label}: {', '.join(names[:3])}{' …' if len(names) > 3 else ''}"
        for label, names in (("added", added), ("changed", changed), ("removed", removed))
        if names
    ]
    return "corpus " + "; ".join(parts) if parts else None
