"""OCR of a scanned page: an image in, its text lines with their boxes out, read by Tesseract.

Tesseract (Apache-2.0) is Debian's `tesseract-ocr` with its English model, called through
pytesseract (Apache-2.0, the `tilqa[ocr]` extra); it runs offline and downloads nothing. It was
chosen over RapidOCR (PP-OCR models on ONNX Runtime) on a 200 dpi scan of the shipped report
(benchmarks/ocr_engines.py): more characters right and more pages a second. Its hOCR output gives
each line's box, baseline and text height, which the PDF reader makes into paragraphs and
headings as it does for a text layer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import UNAVAILABLE, ExtractionError, clean_block

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

LANGUAGE = "eng"  # Debian's tesseract-ocr ships English (and orientation detection) only
# Seconds Tesseract may spend on one page before it is given up (a 200 dpi page of the report took
# about 25 s on a 2-core machine busy with other work: benchmarks/formats.py).
PAGE_TIMEOUT = 300


class OcrUnavailable(ExtractionError):
    """The OCR engine (pytesseract, or the tesseract program) is not installed."""


@dataclass(frozen=True)
class OcrLine:
    """One line of text found on a page image, in pixels from the top-left corner.

    `baseline` is the height of the line's baseline at its left end; `size` Tesseract's estimate
    of the height of its letters (ascender to descender), which sets headings apart.
    """

    text: str
    left: float
    top: float
    right: float
    bottom: float
    baseline: float
    size: float


def check_engine() -> None:
    """Raise OcrUnavailable, saying what to install, when the OCR engine cannot run here."""
    try:
        import pytesseract
    except ImportError as exc:
        raise OcrUnavailable(f"OCR {UNAVAILABLE} {exc} (pip install 'tilqa[ocr]')") from None
    try:
        pytesseract.get_tesseract_version()
    except (pytesseract.TesseractNotFoundError, OSError) as exc:
        raise OcrUnavailable(
            f"OCR {UNAVAILABLE} the tesseract program is not installed ({type(exc).__name__}; "
            "on Debian or Ubuntu: apt-get install tesseract-ocr)"
        ) from None


def _title_fields(title: str) -> dict[str, list[str]]:
    """hOCR's `title` properties ("bbox 1 2 3 4; baseline 0.01 -9; x_size 33") by name."""
    fields: dict[str, list[str]] = {}
    for part in title.split(";"):
        words = part.split()
        if words:
            fields[words[0]] = words[1:]
    return fields


# hOCR's classes for a line of text: body lines, and the lines of headers, captions and floats.
_LINE_CLASSES = ("ocr_line", "ocr_header", "ocr_caption", "ocr_textfloat")


def parse_hocr(hocr: bytes) -> list[OcrLine]:
    """The text lines of Tesseract's hOCR page, in its reading order."""
    from lxml import etree

    root = etree.fromstring(hocr, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    lines: list[OcrLine] = []
    for element in root.iter("{*}span"):
        if element.get("class") not in _LINE_CLASSES:
            continue
        words = [
            "".join(word.itertext())
            for word in element.iter("{*}span")
            if word.get("class") == "ocrx_word"
        ]
        text = clean_block(" ".join(w for w in words if w.strip()))
        fields = _title_fields(element.get("title", ""))
        if not text or len(fields.get("bbox", ())) != 4:
            continue
        x0, y0, x1, y1 = (float(v) for v in fields["bbox"])
        slope_offset = fields.get("baseline", ["0", "0"])
        offset = float(slope_offset[1]) if len(slope_offset) == 2 else 0.0
        size = float(fields.get("x_size", [y1 - y0])[0])
        lines.append(
            OcrLine(text=text, left=x0, top=y0, right=x1, bottom=y1, baseline=y1 + offset, size=size)
        )
    return lines


def ocr_image(image: Image, dpi: int) -> list[OcrLine]:
    """The text lines Tesseract reads on a page image rendered at `dpi`.

    :raises OcrUnavailable: when pytesseract or the tesseract program is missing.
    :raises ExtractionError: when Tesseract fails or takes over PAGE_TIMEOUT seconds on the page.
    """
    check_engine()
    import pytesseract

    try:
        hocr = pytesseract.image_to_pdf_or_hocr(
            image, lang=LANGUAGE, extension="hocr", config=f"--dpi {dpi}", timeout=PAGE_TIMEOUT
        )
    except RuntimeError as exc:  # pytesseract's timeout
        raise ExtractionError(f"OCR gave up on a page after {PAGE_TIMEOUT} s ({exc})") from None
    except pytesseract.TesseractError as exc:
        raise ExtractionError(f"OCR failed ({exc.message or exc.status})") from None
    return parse_hocr(hocr)
