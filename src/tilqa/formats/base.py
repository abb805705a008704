"""The result of extraction, and the builder every structured format uses to produce it.

Every format but plain text gives the same text shape: each heading one line on its own, blocks
(headings, paragraphs, list items) separated by a blank line, no hard wraps inside a block, and
no whitespace at either end of a line. Offsets into that text are what citations point at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..documents import Heading
from ..errors import ExtractionError

__all__ = ["UNAVAILABLE", "Extracted", "ExtractionError", "Heading", "TextBuilder", "clean_block"]

UNAVAILABLE = "unavailable:"
"""In the skip reason of a file tilqa could read with a library that is not installed ("HTML
reader unavailable: ...", a scanned PDF's "OCR unavailable: ...")."""


@dataclass(frozen=True)
class Extracted:
    """A document's text, with its headings and, for a PDF, where each page starts.

    `headings` is None only for plain text, whose headings the chunker finds itself.
    `pages[i]` is the offset of the first character printed on page i + 1, so the page of the
    character at offset `k` is `bisect.bisect_right(pages, k)`; characters joining two pages
    (the space inside a paragraph that runs over a page break, the blank line between blocks)
    count to the earlier page, and a page without text starts where the next one does.
    """

    text: str
    format: str
    headings: tuple[Heading, ...] | None
    pages: tuple[int, ...] = ()


BLOCK_SEPARATOR = "\n\n"

# Whitespace runs of any kind (newlines, tabs, no-break spaces) become one space inside a block;
# soft hyphens, zero-width characters and other controls are invisible in the document and go.
_SPACES = re.compile(r"\s+")
_INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff\x00-\x08\x0b\x0e-\x1f\x7f]")


def clean_block(text: str) -> str:
    """One block's text as one line: invisible characters removed, whitespace runs collapsed."""
    return _SPACES.sub(" ", _INVISIBLE.sub("", text)).strip()


class TextBuilder:
    """Appends headings and paragraphs in reading order, keeping the offsets of each."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._headings: list[Heading] = []

    @property
    def length(self) -> int:
        """The length of the text so far: the offset where the next block would start,
        counting its separator."""
        return self._length + (len(BLOCK_SEPARATOR) if self._parts else 0)

    def _append(self, text: str) -> int | None:
        if not text:
            return None
        if self._parts:
            self._parts.append(BLOCK_SEPARATOR)
            self._length += len(BLOCK_SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start

    def heading(self, text: str, level: int) -> int | None:
        """Add a heading line; returns its offset, or None when it has no text."""
        text = clean_block(text)
        start = self._append(text)
        if start is not None:
            self._headings.append(Heading(start=start, end=start + len(text), level=max(1, level)))
        return start

    def paragraph(self, text: str) -> int | None:
        """Add a paragraph (or list item); returns its offset, or None when it has no text."""
        return self._append(clean_block(text))

    def build(self, format: str, pages: tuple[int, ...] = ()) -> Extracted:
        return Extracted(text="".join(self._parts), format=format, headings=tuple(self._headings), pages=pages)
