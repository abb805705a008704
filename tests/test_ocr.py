"""OCR of scanned PDF pages (`tilqa/formats/ocr.py`, through `formats/pdf.py`), on a real scan:
the shipped report printed by Chromium, its pages rendered at 200 dpi, tilted and blurred, and
saved as an image-only PDF (`render.render_scan`). What OCR reads is compared with the same
PDF's text layer, never with a previous OCR run.

Needs Chromium (to print the report) and Tesseract (`apt-get install tesseract-ocr`, with the
`tilqa[ocr]` extra); each test is skipped, saying which is missing, without them.
"""

from __future__ import annotations

import difflib
import logging
import shutil
import sys
from pathlib import Path

import pytest

import render
from helpers import document_text
from tilqa import Assistant, Settings
from tilqa.formats import ExtractionError, extract, read_again

CORPUS_FILE = Path(__file__).resolve().parents[1] / "corpus" / "iovance-rd-focus.txt"
DEV = Path(__file__).resolve().parents[1] / "eval" / "dev.jsonl"

needs_chromium = pytest.mark.skipif(
    not Path(render.CHROMIUM).exists(), reason=f"{render.CHROMIUM} missing: the report is not printed"
)


def _tesseract_missing() -> str | None:
    try:
        import pytesseract  # noqa: F401
    except ImportError:
        return "pytesseract missing (pip install 'tilqa[ocr]'): OCR not tested"
    if shutil.which("tesseract") is None:
        return "the tesseract program is missing (apt-get install tesseract-ocr): OCR not tested"
    return None


needs_tesseract = pytest.mark.skipif(_tesseract_missing() is not None, reason=_tesseract_missing() or "")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The report printed to PDF, its scan, and a PDF of its first page's text and its scanned
    second page."""
    if not Path(render.CHROMIUM).exists():
        pytest.skip(f"{render.CHROMIUM} missing: the report is not printed")
    from pypdf import PdfReader, PdfWriter

    out = tmp_path_factory.mktemp("scan")
    pdf = render.render_pdf(CORPUS_FILE, out / "report.pdf")
    scan = render.render_scan(pdf, out / "report-scan.pdf")
    mixed = PdfWriter()
    mixed.add_page(PdfReader(pdf).pages[0])
    mixed.add_page(PdfReader(scan).pages[1])
    with (out / "mixed.pdf").open("wb") as f:
        mixed.write(f)
    return {"pdf": pdf, "scan": scan, "mixed": out / "mixed.pdf"}


@pytest.fixture(scope="module")
def scanned(report: dict[str, Path]) -> tuple[str, tuple[int, ...]]:
    if _tesseract_missing():
        pytest.skip(_tesseract_missing() or "")
    extracted = extract(report["scan"])
    return extracted.text, extracted.pages


def test_the_scan_has_no_text_layer(report: dict[str, Path]) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(report["scan"])
    try:
        assert len(pdf) == len(pypdfium2.PdfDocument(report["pdf"]))
        assert all(pdf[n].get_textpage().count_chars() == 0 for n in range(len(pdf)))
    finally:
        pdf.close()


@needs_tesseract
def test_a_scanned_pdf_is_read_by_ocr_like_its_text_layer(
    report: dict[str, Path], scanned: tuple[str, tuple[int, ...]]
) -> None:
    text, pages = scanned
    layer = extract(report["pdf"])
    # Characters right: the share of the text layer's text the OCR text matches in order.
    assert difflib.SequenceMatcher(None, layer.text, text, autojunk=False).ratio() >= 0.97
    assert len(pages) == len(layer.pages) and pages[0] == 0
    for page, (ours, theirs) in enumerate(zip(pages, layer.pages), 1):
        assert abs(ours - theirs) <= 40, f"page {page} starts at {ours}, the text layer's at {theirs}"
    # Running headers and page numbers stay out, as with a text layer.
    assert "Internal research brief" not in text and "1 / 7" not in text


@needs_tesseract
def test_only_pages_without_a_text_layer_are_ocrd(report: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tilqa.formats.pdf"):
        mixed = extract(report["mixed"])
    assert "OCR read page(s) 2 in" in caplog.text and "page(s) 1," not in caplog.text
    first_page = extract(report["pdf"])
    # The first page's text layer is used as it is, character for character.
    ending = first_page.text[: first_page.pages[1]].strip()[-200:]
    assert ending in mixed.text[: mixed.pages[1]]
    assert len(mixed.pages) == 2 and len(mixed.text) > mixed.pages[1] > 0


def test_without_the_ocr_engine_a_scan_is_skipped_saying_what_to_install(
    report: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pytesseract", None)  # as when the extra is not installed
    with pytest.raises(ExtractionError, match=r"no text layer.*OCR unavailable.*tilqa\[ocr\]") as skipped:
        extract(report["scan"])
    assert read_again(str(skipped.value))  # the next build tries again, once it is installed


def test_without_the_ocr_engine_scanned_pages_are_left_out_and_the_rest_read(
    report: dict[str, Path], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "pytesseract", None)
    with caplog.at_level(logging.WARNING, logger="tilqa.formats.pdf"):
        mixed = extract(report["mixed"])
    assert "no text on page(s) 2 (scanned?) and OCR unavailable" in caplog.text
    whole = extract(report["pdf"])
    # Page 1's text as the whole PDF's (with one page of text, its running header is kept).
    assert len(mixed.pages) == 2 and mixed.pages[1] == len(mixed.text)
    assert mixed.text[:2000] == whole.text[:2000]


@pytest.mark.model
@needs_tesseract
def test_the_scanned_report_answers_as_its_text_does(report: dict[str, Path], tmp_path: Path) -> None:
    from tilqa.evaluation import evaluate, load_questions

    questions = load_questions(DEV)
    reports, pages = {}, {}
    for kind in ("pdf", "scan"):
        corpus = tmp_path / kind / "corpus"
        corpus.mkdir(parents=True)
        shutil.copy(report[kind], corpus / "report.pdf")
        assistant = Assistant(settings=Settings(corpus_dir=corpus, index_dir=tmp_path / kind / "index"))
        built = assistant.build()
        assert built.files == 1 and not built.skipped
        reports[kind] = evaluate(assistant, questions)
        answer = assistant.ask("Which IL-2 product did Iovance acquire?")
        pages[kind] = answer.citations[0].page
        if kind == "scan":  # offsets into the OCR'd text, as for a text layer
            text = document_text(assistant, "report.pdf")
            assert all(text[c.start : c.end] == c.text for c in answer.citations)
    assert reports["scan"].grounded == 1.0
    assert pages["scan"] == pages["pdf"] is not None
    right = {kind: round(r.accuracy * r.answerable) for kind, r in reports.items()}
    # Measured: 33 of 40 from the scan, 36 from its text layer (OCR'd headings read as prose, a
    # word split in two). The floor holds that; issue 33's target, within one, is not met yet.
    assert right["scan"] >= right["pdf"] - 3, right
    if right["scan"] < right["pdf"] - 1:
        pytest.xfail(f"the scan answers {right['scan']} dev questions, its text {right['pdf']}: target within one")
