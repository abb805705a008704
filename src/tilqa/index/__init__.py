"""The saved index: records (`records`), manifest and staleness (`manifest`), the store on disk
with its lock, validation and atomic writes (`store`), and building (`build`).

The on-disk format is described in docs/index-format.md.
"""

from .build import chunk_corpus, refresh_index, why_rebuild
from .manifest import FORMAT, manifest_for, stale_reason
from .records import (
    BuildReport,
    IndexData,
    PassageRecord,
    SentenceRecord,
    own_heading,
    passage_embedding_text,
    sentence_sections,
)
from .store import BUILDS, CURRENT, LOCK, TOKEN_CODES, TOKEN_FILES, TOKEN_VECTORS, build_lock, current_build, live_build_dir, load_index

__all__ = [
    "BUILDS",
    "BuildReport",
    "CURRENT",
    "FORMAT",
    "IndexData",
    "LOCK",
    "PassageRecord",
    "SentenceRecord",
    "TOKEN_CODES",
    "TOKEN_FILES",
    "TOKEN_VECTORS",
    "build_lock",
    "chunk_corpus",
    "current_build",
    "live_build_dir",
    "load_index",
    "manifest_for",
    "own_heading",
    "passage_embedding_text",
    "refresh_index",
    "sentence_sections",
    "stale_reason",
    "why_rebuild",
]
