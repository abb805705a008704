"""Reading the corpus for a build: each listed file's text extracted (`formats/`), or the live
build's text reused for content it has already read; files that cannot be read are skipped with
a warning that names them and says why, never dropped silently.

Listing and hashing the files is `corpus.py` (answering needs it to tell whether the index is
stale); extracting them is here, on the build side only.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Sequence

from ..corpus import CorpusFile, scan_corpus
from ..documents import READABLE, Document, SkippedFile
from ..errors import CorpusError, ExtractionError
from ..formats import ExtractionLimits, extract, extract_bounded
from ..progress import progress
from .previous import PreviousBuild

log = logging.getLogger(__name__)


def read_document(file: CorpusFile, limits: ExtractionLimits | None = None) -> Document | SkippedFile:
    """Extract one file's text, or say why it is skipped (a scan without text, encrypted, damaged,
    empty, not UTF-8, or past the memory or time budget of `limits`: read then in a worker process)."""
    try:
        # An unreadable or textless file raises ExtractionError.
        extracted = extract(file.path) if limits is None else extract_bounded(file.path, limits)
    except ExtractionError as exc:
        return SkippedFile(source=file.source, reason=str(exc))
    return Document(
        source=file.source, text=extracted.text, sha256=file.sha256, format=extracted.format,
        headings=extracted.headings, pages=extracted.pages,
    )


def read_corpus(
    files: Sequence[CorpusFile],
    skipped: list[SkippedFile],
    previous: PreviousBuild | None = None,
    show_progress: bool | None = None,
    limits: ExtractionLimits | None = None,
) -> Iterator[tuple[Document, bool]]:
    """Each readable file's document, in order, and whether it was extracted now: the `previous`
    build's text is reused for content it has seen, and a file it could not read is not tried
    again. Files that cannot be read are added to `skipped`. With `limits`, files are read in a
    worker process within that budget (`formats.extract_bounded`)."""
    previous = previous or PreviousBuild()
    for file in progress(files, show_progress, "indexing"):
        if file.sha256 in previous.skipped:
            skipped.append(SkippedFile(source=file.source, reason=previous.skipped[file.sha256]))
            continue
        document = previous.document(file.sha256, file.source)
        if document is not None:
            yield document, False
            continue
        result = read_document(file, limits)
        if isinstance(result, SkippedFile):
            skipped.append(result)
        else:
            yield result, True


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[SkippedFile]]:
    """All readable documents of the corpus (`read_corpus` over every file, nothing reused), plus
    the files skipped, sorted, with a warning each.

    :raises CorpusError: when the folder is missing or no file in it can be read.
    """
    files, skipped = scan_corpus(corpus_dir)
    documents = [document for document, _ in read_corpus(files, skipped)]
    skipped.sort(key=by_source)
    warn_skipped(skipped)
    require_documents(corpus_dir, [d.source for d in documents], skipped)
    return documents, skipped


def by_source(skipped: SkippedFile) -> str:
    """The sort key of skipped files: their source."""
    return skipped.source


def warn_skipped(skipped: Sequence[SkippedFile]) -> None:
    """Log a warning for each file skipped, naming it and why."""
    for s in skipped:
        log.warning("skipping %s: %s", s.source, s.reason)


def require_documents(corpus_dir: Path, sources: Sequence[str], skipped: Sequence[SkippedFile]) -> None:
    """Check that the corpus gave at least one document to index; `sources` are the documents
    read, `skipped` the files left out.

    :raises CorpusError: when the corpus gave no document to index.
    """
    if not sources:
        detail = f" ({len(skipped)} file(s) skipped)" if skipped else ""
        raise CorpusError(f"corpus directory {corpus_dir} holds no readable document ({READABLE}){detail}")
