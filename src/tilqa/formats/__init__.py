"""Text extraction: each supported file type read into text with headings (and PDF pages).

`extract(path)` picks the reader by the file's suffix (see `SUFFIXES`, kept in `documents.py`
with the other types both building and answering use). Readers import their
library on first use, so importing tilqa stays cheap. A file that cannot be read raises
`ExtractionError` with a short reason for the user; the caller skips it with a warning.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..documents import SUFFIXES
from .base import Extracted, ExtractionError, Heading
from .worker import ExtractionLimits, extract_bounded, stop_workers

__all__ = [
    "SUFFIXES", "Extracted", "ExtractionError", "ExtractionLimits", "Heading", "extract", "extract_bounded",
    "stop_workers",
]


def _reader(format: str) -> Callable[[Path], Extracted]:
    if format == "text":
        from .text import extract_text

        return extract_text
    if format == "markdown":
        from .markdown import extract_markdown

        return extract_markdown
    if format == "pdf":
        from .pdf import extract_pdf

        return extract_pdf
    if format == "html":
        from .html import extract_html

        return extract_html
    from .docx import extract_docx

    return extract_docx


def extract(path: Path) -> Extracted:
    """The text of one document file, by its suffix.

    Raises ValueError for a suffix not in SUFFIXES, and ExtractionError when the file cannot
    be read (unreadable, damaged, encrypted, a scan without text, or empty).
    """
    path = Path(path)
    format = SUFFIXES.get(path.suffix.lower())
    if format is None:
        raise ValueError(
            f"unsupported file type {path.suffix or '(none)'}: tilqa reads "
            + ", ".join(sorted(SUFFIXES))
        )
    try:
        extracted = _reader(format)(path)
    except OSError as exc:
        raise ExtractionError(f"cannot read the file ({exc.strerror or exc})") from exc
    if not extracted.text.strip():
        raise ExtractionError("no text found")
    return extracted
