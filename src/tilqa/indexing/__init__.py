"""Building the index: the build side, apart from reading it.

A build scans the corpus (`corpus.py`), reads each changed file (`reading`: extraction by
`formats/`), chunks it (`chunking.py`), embeds only text no earlier build embedded (`previous`,
what a rebuild reuses), writes the records, vectors and token vectors as documents stream in
(`writer`, with `columns` and `token_rows`), and publishes the build atomically under the lock
(`refresh`). What it writes is read by `index/`, which imports nothing from here: answering a
question loads neither extraction nor chunking. `Assistant` imports this package only when it
has to build.
"""

from .previous import PreviousBuild, previous_build
from .reading import load_corpus, read_corpus, read_document, require_documents, warn_skipped
from .refresh import refresh_index
from .writer import BuildWriter

__all__ = [
    "BuildWriter",
    "PreviousBuild",
    "load_corpus",
    "previous_build",
    "read_corpus",
    "read_document",
    "refresh_index",
    "require_documents",
    "warn_skipped",
]
