"""The saved index: records (`records`), manifest and staleness (`manifest`), the files of a
build (`files`), the vector search indexes (`vectors`), the store on disk with its lock, validation
and atomic publishing (`store`), what a rebuild reuses (`previous`), writing a build as documents
stream in (`writer`), and building (`build`).

The on-disk format is described in docs/index-format.md.
"""

from .build import refresh_index, why_rebuild
from .manifest import FORMAT, manifest_for, stale_reason, stamps
from .records import (
    BuildReport,
    DocumentStore,
    IndexData,
    PassageRecord,
    PassageTable,
    SentenceRecord,
    SentenceTable,
    own_heading,
    passage_embedding_text,
)
from .store import BUILDS, CURRENT, LOCK, build_lock, current_build, live_build_dir, load_index
from .vectors import VectorIndexInfo

__all__ = [
    "BUILDS",
    "BuildReport",
    "CURRENT",
    "DocumentStore",
    "FORMAT",
    "IndexData",
    "LOCK",
    "PassageRecord",
    "PassageTable",
    "SentenceRecord",
    "SentenceTable",
    "VectorIndexInfo",
    "build_lock",
    "current_build",
    "live_build_dir",
    "load_index",
    "manifest_for",
    "own_heading",
    "passage_embedding_text",
    "refresh_index",
    "stale_reason",
    "stamps",
    "why_rebuild",
]
