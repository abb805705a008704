"""The saved index, as answering reads it and as both sides share it: records (`records`), the
manifest (`manifest`), whether the live build must be rebuilt and why (`staleness`), the files of
a build (`files`), the vector search indexes (`vectors`), and the store on disk with its lock,
validation and atomic publishing (`store`).

Building is `indexing/`, which imports this package; nothing here imports it.

The on-disk format is described in docs/index-format.md.
"""

from .manifest import FORMAT, file_hashes, manifest_for, stamps
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
from .staleness import IndexCheck, check_index, stale_reason
from .store import (
    BUILDS, CURRENT, LOCK, build_lock, current_build, live_build_dir, load_index, remove_crashed_builds,
)
from .vectors import VectorIndexInfo

__all__ = [
    "BUILDS",
    "BuildReport",
    "CURRENT",
    "DocumentStore",
    "FORMAT",
    "IndexCheck",
    "IndexData",
    "LOCK",
    "PassageRecord",
    "PassageTable",
    "SentenceRecord",
    "SentenceTable",
    "VectorIndexInfo",
    "remove_crashed_builds",
    "build_lock",
    "check_index",
    "current_build",
    "file_hashes",
    "live_build_dir",
    "load_index",
    "manifest_for",
    "own_heading",
    "passage_embedding_text",
    "stale_reason",
    "stamps",
]
