"""What the build side and the read side share about documents: the file types tilqa reads, a
document's extracted text with its headings, a file left out and why, the heading-path
separator, and what a dateline looks like.

Nothing here extracts or chunks: extraction is `formats/`, chunking `chunking.py`, both used
only by building (`indexing/`). Answering from an index needs these types and nothing more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The file types tilqa reads, by suffix, and the reader (`formats/`) each goes to.
SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}
READABLE = ", ".join(sorted(SUFFIXES))

# Between the headings of a heading path ("Strategy › Partnerships › Licensing").
SECTION_SEPARATOR = " › "

# A line that is only a date ("20 March 2025", "March 20, 2025", "2025-03-20") is a dateline:
# neither a heading nor prose, a paragraph of its own.
_DATE_LINE = re.compile(
    r"^\s*(\d{1,2}\s+[A-Za-z]+\.?\s+\d{4}|[A-Za-z]+\.?\s+\d{1,2},?\s+\d{4}|\d{4}-\d{2}-\d{2})\s*$"
)


def is_date_line(text: str) -> bool:
    """Whether `text` is only a date, as a document's dateline is ("20 March 2025")."""
    return _DATE_LINE.match(text) is not None


@dataclass(frozen=True)
class Heading:
    """A heading line of a document's text: `text[start:end]` is its text; level 1 is the top."""

    start: int
    end: int
    level: int


@dataclass(frozen=True)
class Document:
    """One document's extracted text: citation offsets index into `text`.

    `headings` lists its heading lines (None for plain text, whose headings the chunker finds),
    and `pages[i]` is where page i + 1 starts in `text` (PDF only).
    """

    source: str
    text: str
    sha256: str
    format: str = "text"
    headings: tuple[Heading, ...] | None = None
    pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class SkippedFile:
    """A file left out of the index, and why."""

    source: str
    reason: str
