"""Text extraction: each supported file type read into text with headings (and PDF pages).

`extract(path)` picks the reader by the file's suffix (see `SUFFIXES`, kept in `documents.py`
with the other types both building and answering use). Readers import their
library on first use, so importing tilqa stays cheap. A file that cannot be read raises
`ExtractionError` with a short reason for the user; the caller skips it with a warning. A reader
whose library cannot be imported (not installed, or broken: an lxml without `lxml.html.clean`)
fails its own files only, each skipped with "HTML reader unavailable: ...", never the build.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..documents import SUFFIXES
from .base import UNAVAILABLE, Extracted, ExtractionError, Heading
from .worker import ExtractionLimits, extract_bounded, stop_workers

__all__ = [
    "SUFFIXES", "Extracted", "ExtractionError", "ExtractionLimits", "Heading", "extract", "extract_bounded",
    "read_again", "stop_workers",
]

# How a reader is named in its files' skip reasons, and the package its library comes with.
_READERS = {
    "text": ("Text", "tilqa"),
    "markdown": ("Markdown", "markdown-it-py"),
    "pdf": ("PDF", "pypdfium2"),
    "html": ("HTML", "trafilatura and lxml_html_clean"),
    "docx": ("Word", "python-docx"),
}


def read_again(reason: str) -> bool:
    """Whether a file skipped for `reason` should be read again by the next build rather than
    remembered as unreadable: its reader's library, or the OCR engine, was not installed."""
    return UNAVAILABLE in reason


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
    except ImportError as exc:  # the reader's library, or one it imports, is missing or broken
        name, package = _READERS[format]
        raise ExtractionError(
            f"{name} reader {UNAVAILABLE} {exc} (reinstall tilqa, or pip install {package})"
        ) from exc
    except OSError as exc:
        raise ExtractionError(f"cannot read the file ({exc.strerror or exc})") from exc
    if not extracted.text.strip():
        raise ExtractionError("no text found")
    return extracted
