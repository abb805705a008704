"""The saved index, as answering reads it and as both sides share it: records (`records`),
manifest and staleness (`manifest`), the files of a build (`files`), the vector search indexes
(`vectors`), and the store on disk with its lock, validation and atomic publishing (`store`).

Building is `indexing/`, which imports this package; nothing here imports it.

The on-disk format is described in docs/index-format.md.
"""

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
    "stale_reason",
    "stamps",
]
