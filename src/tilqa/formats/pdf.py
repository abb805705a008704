"""PDF files, read with pypdfium2 (PDFium, Apache-2.0/BSD-3): text by page, made into prose.

A PDF holds positioned glyphs, not paragraphs. From PDFium's text lines and their boxes this
module rebuilds what a reader sees:

- running headers and footers go: lines in the top or bottom band of the page whose text, with
  digits masked, recurs on many pages; and lines there that are only a page number;
- headings come from the outline (bookmarks) when it has entries that match lines, else from
  lines set larger (or bolder) than the body text that do not end like a sentence;
- a paragraph ends at a vertical gap wider than the usual line pitch, a first-line indent, a
  bullet, or a heading; one running over a page break is joined when its last line does not end a
  sentence or the next page goes on in lower case;
- a line-end hyphen is dropped when the word is hyphenated only by the line break (see
  `join_hyphenated`).

PDFium is not thread-safe, so extraction holds a lock.
"""

from __future__ import annotations

import logging
import math
import re
import statistics
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .base import Extracted, ExtractionError, TextBuilder, clean_block

if TYPE_CHECKING:
    import pypdfium2

log = logging.getLogger(__name__)

_LOCK = threading.Lock()

# Running headers/footers: a line in the top or bottom MARGIN_BANDS of a page is boilerplate when
# its digit-masked text is in those bands on at least this share of pages (and on two or more).
# 0.4 rather than 0.5 keeps alternating left/right-page headers; the title page often has none.
MARGIN_BANDS = 2
REPEAT_SHARE = 0.4
_PAGE_NUMBER = re.compile(
    r"^(?:page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(?:\s*(?:/|of|von|de)\s*\d{1,4})?$", re.IGNORECASE
)
_ROMAN_PAGE = re.compile(r"^[ivxlc]{1,7}$")

# A line set at least this much larger than the body text can be a heading (Chromium's default
# h4 is 12 pt over 11 pt body, 1.09; Word's Heading 3 is 12 pt over 11 pt too).
HEADING_SIZE_RATIO = 1.07
# A bolder line at body size can be a heading when PDFium's font weight is this much higher.
HEADING_WEIGHT_STEP = 50
MAX_HEADING_CHARS = 200  # over all lines of a heading
MAX_HEADING_WORDS = 24
# A new paragraph starts where the baseline distance exceeds the usual pitch by this factor
# (Word's 8 pt after-paragraph space over 13.4 pt lines is 1.6; Chromium's 7 pt margin, 1.47).
PARAGRAPH_GAP_RATIO = 1.25

_SENTENCE_END = re.compile(r"[.!?:;][\"”’'»)\]]*$")
_NOT_HEADING_END = re.compile(r"[.,;]$")
_BULLET_GLYPHS = "•▪◦●■□‣⁃"
_BULLET = re.compile(r"^(?:[•▪◦●■□‣⁃–·*-]\s|\d{1,2}[.)]\s|[a-z][.)]\s)")
_HYPHENS = "-\u2010\u00ad"
_SOFT_HYPHENS = "\u00ad"
_WORD = re.compile(r"[^\W\d_]+(?:[-\u2010][^\W\d_]+)*")
_LIGATURES = str.maketrans(
    {
        "\ufb00": "ff",
        "\ufb01": "fi",
        "\ufb02": "fl",
        "\ufb03": "ffi",
        "\ufb04": "ffl",
        "\ufb06": "st",
    }
)
# Word-forming prefixes that keep their hyphen at a line break ("re-\ninfusing", "anti-\ntumor").
_PREFIXES = frozenset(
    "anti co counter cross de ex extra high inter intra long low macro micro mid multi neo non "
    "over post pre pro pseudo quasi re self semi short sub super trans ultra under well".split()
)


@dataclass
class Line:
    """One text line of a page, in PDF units (y grows upwards)."""

    page: int
    text: str
    left: float
    bottom: float
    right: float
    top: float
    size: float = 0.0  # font size of its glyphs
    weight: float = 0.0  # PDFium's font weight, -1 when unknown
    bold_name: bool = False  # the font's name says bold/black/heavy
    heading: int | None = None  # heading level, once known
    heading_id: int = -1  # lines of one heading share it
    boilerplate: bool = False
    offset: int = field(default=-1)  # where its text starts in the extracted text


# --- reading lines ------------------------------------------------------------------------------


def _font_name(raw: object, textpage: object, index: int) -> str:
    import ctypes

    buffer = ctypes.create_string_buffer(128)
    flags = ctypes.c_int(0)
    raw.FPDFText_GetFontInfo(textpage, index, buffer, 128, ctypes.byref(flags))  # type: ignore[attr-defined]
    return buffer.value.decode("latin-1", "replace")


def page_lines(textpage: pypdfium2.PdfTextPage, page: int) -> list[Line]:
    """The text lines of a page in PDFium's reading order, with boxes and font facts."""
    import pypdfium2.raw as raw

    count = textpage.count_chars()
    if count <= 0:
        return []
    text = textpage.get_text_range()
    if len(text) == count:
        chars = list(text)
    else:  # characters outside the BMP, or ones PDFium leaves out: one by one then
        chars = [chr(raw.FPDFText_GetUnicode(textpage, i)) for i in range(count)]
    lines: list[Line] = []
    start = 0
    for index in range(count + 1):
        if index < count and chars[index] not in "\r\n\x02\ufffe":
            continue
        if index < count and chars[index] in "\x02\ufffe":
            # PDFium's mark for a hyphen it takes to end a line inside a word: it then runs the
            # two lines together. Keep the hyphen, end the line; `join_hyphenated` decides.
            chars[index] = "-"
            index += 1
        line = _make_line(textpage, raw, chars, start, index, page)
        if line is not None:
            lines.append(line)
        start = index + 1 if index < count and chars[index] in "\r\n" else index
    return lines


def _make_line(
    textpage: object, raw: object, chars: list[str], start: int, end: int, page: int
) -> Line | None:
    visible = [i for i in range(start, end) if not chars[i].isspace()]
    raw_text = "".join(chars[start:end]).translate(_LIGATURES).rstrip()
    text = clean_block(raw_text)
    if raw_text.endswith("\u00ad") and text:
        text += "\u00ad"  # a soft hyphen at the line end: kept for `join_hyphenated`
    if not visible or not text:
        return None
    # Sample a few glyphs for size and weight: a line is set in one or two fonts.
    step = max(1, len(visible) // 8)
    sample = visible[::step]
    boxes = [textpage.get_charbox(i, loose=True) for i in sample + [visible[0], visible[-1]]]  # type: ignore[attr-defined]
    sizes = [raw.FPDFText_GetFontSize(textpage, i) for i in sample]  # type: ignore[attr-defined]
    weights = [raw.FPDFText_GetFontWeight(textpage, i) for i in sample]  # type: ignore[attr-defined]
    name = _font_name(raw, textpage, sample[len(sample) // 2]).lower()
    return Line(
        page=page,
        text=text,
        left=min(b[0] for b in boxes),
        bottom=min(b[1] for b in boxes),
        right=max(b[2] for b in boxes),
        top=max(b[3] for b in boxes),
        size=statistics.median(sizes),
        weight=statistics.median(weights),
        bold_name=any(w in name for w in ("bold", "black", "heavy", "semibold")),
    )


# --- running headers and footers ----------------------------------------------------------------


def _mask(text: str) -> str:
    return re.sub(r"\d+", "#", " ".join(text.lower().split()))


def _margin_lines(lines: list[Line]) -> list[Line]:
    """Lines in the top and bottom MARGIN_BANDS bands (lines sharing a baseline are one band)."""
    if not lines:
        return []
    bands = sorted({round(line.bottom) for line in lines})
    edge = set(bands[:MARGIN_BANDS]) | set(bands[-MARGIN_BANDS:])
    return [line for line in lines if round(line.bottom) in edge]


def is_page_number(text: str) -> bool:
    """A line that is only a page number: "3", "Page 3", "3 / 12", "3 of 12", "- 3 -", "iv"."""
    text = text.strip()
    return bool(_PAGE_NUMBER.match(text) or _ROMAN_PAGE.match(text))


def mark_boilerplate(pages: list[list[Line]]) -> None:
    """Mark running headers, footers and page numbers (see the module docstring)."""
    margins = [_margin_lines(lines) for lines in pages]
    seen = Counter(key for lines in margins for key in {_mask(line.text) for line in lines})
    needed = max(2, math.ceil(REPEAT_SHARE * len(pages)))
    for lines in margins:
        for line in lines:
            if seen[_mask(line.text)] >= needed or is_page_number(line.text):
                line.boilerplate = True


# --- headings -----------------------------------------------------------------------------------


def _squash(text: str) -> str:
    """Text compared without whitespace, case or dash and quote variants (outline titles lose
    the space at a line break: "developmentfocus")."""
    text = text.lower().translate(str.maketrans("‐‑–—’‘“”", "----''\"\""))
    return "".join(text.split())


def outline_headings(pdf: pypdfium2.PdfDocument, pages: list[list[Line]]) -> int:
    """Mark the lines the outline's entries point at as headings; returns how many matched.

    An entry matches the run of up to four consecutive lines, on its destination page, whose
    text is the entry's title; of several, the one nearest the destination's height.
    """
    matched = 0
    squashed = {id(line): _squash(line.text) for lines in pages for line in lines}
    for bookmark in pdf.get_toc():
        title = _squash(bookmark.get_title() or "")
        dest = bookmark.get_dest()
        if not title or dest is None:
            continue
        page = dest.get_index()
        if page is None or not 0 <= page < len(pages):
            continue
        _, view = dest.get_view()
        target = view[1] if len(view) > 1 else None
        candidates: list[tuple[float, list[Line]]] = []
        # The destination page, or the next one when a heading was pushed over a page break.
        for shift, lines in enumerate(pages[page : page + 2]):
            lines = [line for line in lines if not line.boilerplate]
            for first in range(len(lines)):
                joined = ""
                for last in range(first, min(first + 4, len(lines))):
                    joined += squashed[id(lines[last])]
                    if joined == title:
                        near = abs(lines[first].top - target) if target is not None else first
                        candidates.append((shift * 1e6 + near, lines[first : last + 1]))
                    if not title.startswith(joined):
                        break
        free = [c for c in candidates if c[1][0].heading is None]
        if not free:
            log.debug("outline entry %r matches no line on page %d", bookmark.get_title(), page + 1)
            continue
        _, run = min(free, key=lambda c: c[0])
        for line in run:
            line.heading = bookmark.level + 1
            line.heading_id = matched
        matched += 1
    return matched


def _body_font(lines: list[Line]) -> tuple[float, float]:
    """The size and weight most of the text is set in."""
    sizes: Counter[float] = Counter()
    weights: Counter[float] = Counter()
    for line in lines:
        sizes[round(line.size * 2) / 2] += len(line.text)
        weights[line.weight] += len(line.text)
    return sizes.most_common(1)[0][0], weights.most_common(1)[0][0]


def font_headings(lines: list[Line]) -> None:
    """Mark as headings the short lines set larger or bolder than the body that do not end like
    a sentence; consecutive ones in the same font are one heading. Larger sizes rank higher."""
    body = [line for line in lines if not line.boilerplate]
    if not body:
        return
    body_size, body_weight = _body_font(body)
    body_bold = Counter(line.bold_name for line in body).most_common(1)[0][0]

    def emphasis(line: Line) -> tuple[float, bool] | None:
        if line.size >= body_size * HEADING_SIZE_RATIO:
            return (round(line.size * 2) / 2, True)
        bolder = (body_weight > 0 and line.weight >= body_weight + HEADING_WEIGHT_STEP) or (
            line.bold_name and not body_bold
        )
        if abs(line.size - body_size) <= body_size * 0.03 and bolder:
            return (body_size, False)
        return None

    runs: list[list[Line]] = []
    previous: Line | None = None
    for line in body:
        style = emphasis(line)
        if style is None:
            previous = None
            continue
        if (
            previous is not None
            and previous.page == line.page
            and emphasis(previous) == style
            and previous.bottom - line.bottom <= 1.6 * (previous.top - previous.bottom)
        ):
            runs[-1].append(line)
        else:
            runs.append([line])
        previous = line
    sizes: set[float] = set()
    headings: list[tuple[list[Line], float, bool]] = []
    for run in runs:
        text = " ".join(line.text for line in run)
        if (
            len(text) > MAX_HEADING_CHARS
            or len(text.split()) > MAX_HEADING_WORDS
            or _NOT_HEADING_END.search(text)
            or not any(c.isalpha() for c in text)
        ):
            continue
        size, larger = emphasis(run[0]) or (body_size, False)
        headings.append((run, size, larger))
        if larger:
            sizes.add(size)
    rank = {size: number + 1 for number, size in enumerate(sorted(sizes, reverse=True))}
    for number, (run, size, larger) in enumerate(headings):
        for line in run:
            line.heading = rank[size] if larger else len(rank) + 1
            line.heading_id = number


# --- paragraphs ---------------------------------------------------------------------------------


def _pitch(lines: list[Line]) -> float:
    """The usual baseline distance between lines of a paragraph."""
    steps: Counter[float] = Counter()
    for previous, line in zip(lines, lines[1:]):
        if previous.page == line.page and previous.heading is None and line.heading is None:
            step = previous.bottom - line.bottom
            if 0 < step < 3 * max(line.top - line.bottom, 1.0):
                steps[round(step * 2) / 2] += 1
    if not steps:
        return 0.0
    return steps.most_common(1)[0][0]


def _left_margin(lines: list[Line]) -> float:
    lefts = Counter(round(line.left) for line in lines if line.heading is None)
    return float(lefts.most_common(1)[0][0]) if lefts else 0.0


def _ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def _starts_paragraph(previous: Line, line: Line, pitch: float, left: float) -> bool:
    """Whether `line` starts a new paragraph after `previous` (both body lines)."""
    if _BULLET.match(line.text) and (
        line.text[0] in _BULLET_GLYPHS or _ends_sentence(previous.text)
    ):
        return True  # a list item ("– " or "1. " may also just be where a line of prose wraps)
    if previous.page != line.page:
        return _ends_sentence(previous.text) and not line.text[:1].islower()
    if line.bottom > previous.bottom + 1:  # went up the page: a new column or a float
        return True
    if pitch and previous.bottom - line.bottom > pitch * PARAGRAPH_GAP_RATIO + 0.5:
        return True
    indent = line.left - left
    return _ends_sentence(previous.text) and indent > 0.8 * (line.top - line.bottom)


def vocabulary(lines: Iterable[Line]) -> Counter[str]:
    """Lower-cased words (hyphenated ones whole) as they occur inside lines; the pieces of a
    word a line-end hyphen splits are left out."""
    words: Counter[str] = Counter()
    broken = False  # the previous line ended in a hyphen
    for line in lines:
        found = [word.lower() for word in _WORD.findall(line.text)]
        if broken and found and line.text[:1].isalpha():
            found = found[1:]
        broken = line.text[-1] in _HYPHENS
        if broken and found:
            found = found[:-1]
        words.update(found)
    return words


def join_hyphenated(first: str, second: str, words: Counter[str]) -> str | None:
    """`first` + `second` when `first`'s line-end hyphen only breaks a word, else None.

    The hyphen stays when the next line starts with no lower-case letter, when the hyphenated
    word occurs elsewhere in the document, and for compounds of a known prefix or of two words
    the document uses, unless the joined word occurs in it. A Unicode HYPHEN (U+2010) is no
    sign of a real one: Chromium prints a soft-hyphen break with it.
    """
    if not first or first[-1] not in _HYPHENS or not second[:1].islower():
        return None
    head = re.search(r"([^\W\d_]+)[" + _HYPHENS + r"]$", first)
    tail = re.match(r"[^\W\d_]+", second)
    if head is None or tail is None:
        return None
    left, right = head.group(1).lower(), tail.group(0).lower()
    if f"{left}-{right}" in words or f"{left}\u2010{right}" in words:
        return None
    if left + right in words or first[-1] in _SOFT_HYPHENS:
        return first[:-1] + second
    if left in _PREFIXES or (left in words and right in words):
        return None
    return first[:-1] + second


def _joined(pieces: list[str], words: Counter[str]) -> tuple[str, list[int]]:
    """Lines of one paragraph as one line, and the offset of each line in it."""
    text = ""
    offsets: list[int] = []
    for piece in pieces:
        if not text:
            offsets.append(0)
            text = piece
            continue
        merged = join_hyphenated(text, piece, words)
        if merged is not None:
            offsets.append(len(text) - 1)
            text = merged
        elif text[-1] in _HYPHENS + "—–/" and len(text) > 1 and not text[-2].isspace():
            offsets.append(len(text))
            text += piece
        else:
            offsets.append(len(text) + 1)
            text += " " + piece
    return text.rstrip("\u00ad"), offsets


def build_text(pages: list[list[Line]]) -> Extracted:
    """The document's text from its marked lines, and where each page starts in it."""
    body = [line for lines in pages for line in lines if not line.boilerplate]
    pitch = _pitch(body)
    left = _left_margin(body)
    words = vocabulary(body)
    blocks: list[list[Line]] = []
    for line in body:
        previous = blocks[-1][-1] if blocks else None
        if previous is None:
            blocks.append([line])
        elif line.heading is not None or previous.heading is not None:
            if line.heading is not None and line.heading_id == previous.heading_id:
                blocks[-1].append(line)  # a heading set on two or more lines
            else:
                blocks.append([line])
        elif _starts_paragraph(previous, line, pitch, left):
            blocks.append([line])
        else:
            blocks[-1].append(line)
    builder = TextBuilder()
    for block in blocks:
        level = block[0].heading
        if level is not None:
            text, _ = _joined([line.text for line in block], words)
            start = builder.heading(text, level)
            offsets = [0] * len(block)  # a heading's lines all count from its start
        else:
            text, offsets = _joined([line.text for line in block], words)
            start = builder.paragraph(text)
        if start is None:
            continue
        for line, offset in zip(block, offsets):
            line.offset = start + offset
    extracted = builder.build("pdf")
    starts: list[int] = []
    following = len(extracted.text)
    for lines in reversed(pages):
        placed = [line.offset for line in lines if not line.boilerplate and line.offset >= 0]
        following = min(placed) if placed else following
        starts.append(following)
    starts.reverse()
    if starts:
        starts[0] = 0
    return Extracted(text=extracted.text, format="pdf", headings=extracted.headings, pages=tuple(starts))


# --- the file -----------------------------------------------------------------------------------


def _open(path: Path) -> pypdfium2.PdfDocument:
    import pypdfium2
    import pypdfium2.raw as raw

    if path.stat().st_size == 0:
        raise ExtractionError("the file is empty (0 bytes)")
    try:
        return pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == raw.FPDF_ERR_PASSWORD:
            raise ExtractionError("encrypted PDF: remove the password to index it") from None
        if code == raw.FPDF_ERR_SECURITY:
            raise ExtractionError("encrypted PDF with an unsupported security handler") from None
        # The reader is told what is wrong with the file; the library's own words go to the log.
        log.info("PDFium cannot open %s: %s", path.name, exc)
        raise ExtractionError("damaged or not a PDF: it cannot be opened as one") from None


def extract_pdf(path: Path) -> Extracted:
    """A PDF's text as paragraphs and headings, and the offset where each page starts."""
    with _LOCK:
        pdf = _open(path)
        try:
            if len(pdf) == 0:
                raise ExtractionError("PDF has no pages (damaged?)")
            pages: list[list[Line]] = []
            for number in range(len(pdf)):
                page = pdf[number]
                textpage = page.get_textpage()
                try:
                    pages.append(page_lines(textpage, number))
                finally:
                    textpage.close()
                    page.close()
            if not any(pages):
                raise ExtractionError(
                    "no text layer (a scanned PDF?): it needs OCR, which tilqa does not do"
                )
            empty = [str(n + 1) for n, lines in enumerate(pages) if not lines]
            if empty:
                log.warning("%s: no text on page(s) %s (scanned?)", path.name, ", ".join(empty))
            mark_boilerplate(pages)
            all_lines = [line for lines in pages for line in lines]
            if outline_headings(pdf, pages) == 0:
                font_headings(all_lines)
            return build_text(pages)
        except ExtractionError:
            raise
        except Exception as exc:  # PDFium's errors, and any surprise a malformed file causes
            log.debug("%s: extraction failed", path, exc_info=True)
            raise ExtractionError(f"damaged PDF ({type(exc).__name__}: {exc})") from exc
        finally:
            pdf.close()
