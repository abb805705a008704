"""A PDF page as the reader sees it, for the source view: the page rendered by pypdfium2 (already
tilqa's PDF reader) as a PNG inside the page, with the cited lines and the answer's lines
highlighted from PDFium's text boxes.

The index keeps the text, not where each character sat, so the cited text is found again on the
page: its letters and digits (compatibility-normalised, lower case, so ligatures, hyphens at line
breaks and spacing do not matter) are looked up in the page's, and the characters matched give
PDFium's character boxes, merged into one box a line.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

# PDFium is not thread-safe: rendering shares the PDF reader's lock (indexing may run meanwhile).
from ..formats.pdf import _LOCK as PDFIUM_LOCK

log = logging.getLogger(__name__)

RENDER_SCALE = 1.5  # 108 dpi: a letter page 918 px wide, sharp at the column's width
MIN_PIECE_CHARS = 12  # when the whole text is not found in one run, pieces shorter than this are not looked for
_PIECES = re.compile(r"(?<=[.!?;:])\s+|\n+")


@dataclass(frozen=True)
class Box:
    """A highlighted line, as percentages of the page (top left origin)."""

    left: float
    top: float
    width: float
    height: float
    answer: bool


def _folded(text: str) -> tuple[str, list[int]]:
    """`text`'s letters and digits, NFKC-normalised and lower case, and for each the index in
    `text` it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, c in enumerate(text):
        for f in unicodedata.normalize("NFKC", c).lower():
            if f.isalnum():
                out.append(f)
                where.append(i)
    return "".join(out), where


def matched_chars(page_text: str, wanted: str) -> list[int]:
    """The indices of `page_text`'s characters that spell `wanted` (letters and digits only): the
    whole of it where it runs unbroken, else each of its sentences or lines found in order."""
    page, where = _folded(page_text)
    whole, _ = _folded(wanted)
    if not whole:
        return []
    at = page.find(whole)
    if at >= 0:
        return where[at:at + len(whole)]
    found: list[int] = []
    position = 0
    for piece in _PIECES.split(wanted):
        folded, _ = _folded(piece)
        if len(folded) < MIN_PIECE_CHARS:
            continue
        at = page.find(folded, position)
        if at >= 0:
            found.extend(where[at:at + len(folded)])
            position = at + len(folded)
    return found


def _line_boxes(textpage: object, chars: list[int], width: float, height: float, answer: bool) -> list[Box]:
    """The characters' boxes merged into one box per line (a new line where a character's middle
    lies outside the current line's height)."""
    lines: list[list[float]] = []  # left, bottom, right, top
    for index in sorted(set(chars)):
        left, bottom, right, top = textpage.get_charbox(index)  # type: ignore[attr-defined]
        if right - left <= 0 or top - bottom <= 0:
            continue  # a space or a generated character
        middle = (bottom + top) / 2
        if lines and lines[-1][1] <= middle <= lines[-1][3]:
            line = lines[-1]
            line[0], line[1], line[2], line[3] = min(line[0], left), min(line[1], bottom), max(line[2], right), max(line[3], top)
        else:
            lines.append([left, bottom, right, top])
    return [
        Box(left=100 * l / width, top=100 * (height - t) / height, width=100 * (r - l) / width,
            height=100 * (t - b) / height, answer=answer)
        for l, b, r, t in lines
    ]


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def render_page(path: Path, number: int, cited: str, answer: str = "") -> tuple[bytes, list[Box]]:
    """Page `number` (from 1) of the PDF at `path` as PNG bytes, and the boxes of the lines that
    hold `cited`, then of those that hold `answer` (flagged)."""
    import pypdfium2

    boxes: list[Box] = []
    with PDFIUM_LOCK:
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            page = pdf[number - 1]
            width, height = page.get_size()
            image = page.render(scale=RENDER_SCALE).to_pil()
            textpage = page.get_textpage()
            count = textpage.count_chars()
            text = textpage.get_text_range() if count > 0 else ""
            if len(text) != count:  # characters outside the BMP: one by one, so indices stay the page's
                text = "".join(textpage.get_text_range(i, 1)[:1] or " " for i in range(count))
            for wanted, is_answer in ((cited, False), (answer, True)):
                if wanted:
                    boxes += _line_boxes(textpage, matched_chars(text, wanted), width, height, is_answer)
        finally:
            pdf.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue(), boxes


def page_figure(path: Path, sha256: str, number: int, cited: str, answer: str = "") -> str:
    """The page as HTML: a <figure> with the rendered page and its highlights; a short note instead
    when the file is gone or has changed since it was indexed (its page would not be the text's)."""
    try:
        if file_sha256(path) != sha256:
            return "<p class='page-note'>The file has changed since it was indexed; ask again to see its page.</p>"
        png, boxes = render_page(path, number, cited, answer)
    except OSError:
        return "<p class='page-note'>The file is no longer in the corpus, so its page cannot be shown.</p>"
    except Exception:  # a page that cannot be drawn still leaves its text; the log keeps why
        log.exception("rendering page %d of %s failed", number, path.name)
        return "<p class='page-note'>This page could not be drawn; its text is beside.</p>"
    marks = "".join(
        f"<div class='{'line answer' if b.answer else 'line'}' style='left:{b.left:.2f}%;top:{b.top:.2f}%;"
        f"width:{b.width:.2f}%;height:{b.height:.2f}%'></div>"
        for b in boxes
    )
    source = "data:image/png;base64," + base64.b64encode(png).decode()
    return (
        f"<figure class='page' id='page-image' data-lines='{len(boxes)}'><div class='sheet'>"
        f"<img src='{source}' alt='page {number} of {html.escape(path.name)}'>{marks}</div>"
        f"<figcaption>page {number} as printed; the cited lines highlighted</figcaption></figure>"
    )
