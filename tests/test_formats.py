"""Extraction of PDF, HTML, DOCX, Markdown and text, on files rendered from the shipped corpus by
real tools (Chromium's print to PDF, python-docx; see tests/render.py), and on bad files.

Expected values come from the corpus file itself (its paragraphs, sentences and headings as
tilqa's chunker reads them) and from the rendered files (the page PDFium finds a sentence
printed on), never from a previous run of the extractors.
"""

from __future__ import annotations

import bisect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

import render
from tilqa.chunking import sentence_spans
from tilqa.formats import SUFFIXES, Extracted, ExtractionError, extract, stop_workers

from helpers import need_chromium

CORPUS_FILE = Path(__file__).resolve().parents[1] / "corpus" / "iovance-rd-focus.txt"
STRUCTURE = render.read_structure(CORPUS_FILE)


def squash(text: str) -> str:
    """Whitespace runs as one space. No dash or quote folding: no extractor changes them."""
    return " ".join(text.split())


def sentences(paragraph: str) -> list[str]:
    return [squash(paragraph[s:e]) for s, e in sentence_spans(paragraph)]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("rendered")
    return {
        "docx": render.render_docx(CORPUS_FILE, out / "corpus.docx"),
        "html": render.render_html(CORPUS_FILE, out / "corpus.html"),
        "markdown": render.render_markdown(CORPUS_FILE, out / "corpus.md"),
    }


@pytest.fixture(scope="session")
def pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    need_chromium("PDFs are printed with it")
    out = tmp_path_factory.mktemp("pdfs")
    with render.Printer() as printer:
        files = {
            "outline": render.render_pdf(CORPUS_FILE, out / "corpus.pdf", printer=printer),
            "no_outline": render.render_pdf(
                CORPUS_FILE, out / "plain.pdf", outline=False, printer=printer
            ),
            "book": render.render_pdf(
                CORPUS_FILE, out / "book.pdf", outline=False, printer=printer, style="book"
            ),
            "scanned": render.render_scanned_pdf(out / "scanned.pdf", printer=printer),
        }
        files["hyphenation"] = render.render_hyphenation_pdf(out / "hyphens.pdf", printer)
    files["encrypted"] = render.render_encrypted_pdf(files["outline"], out / "encrypted.pdf")
    files["corrupt"] = render.render_corrupt_pdf(files["outline"], out / "corrupt.pdf")
    return files


# "pdf": Chromium's print with an outline; "pdf_no_outline": the same without one, so headings
# come from font sizes; "pdf_book": indented, unspaced paragraphs and bold body-size headings.
PDF_FILES = {"pdf": "outline", "pdf_no_outline": "no_outline", "pdf_book": "book"}
STRUCTURED = ["docx", "html", "markdown", *PDF_FILES]


@pytest.fixture(scope="session")
def _extractions() -> dict[str, Extracted]:
    return {}


@pytest.fixture
def extracted(
    request: pytest.FixtureRequest, _extractions: dict[str, Extracted]
) -> Callable[[str], Extracted]:
    """`extracted(name)`: a rendering of the corpus, extracted once per session. Only the PDFs
    need Chromium: without it their tests skip, the others run."""

    def get(name: str) -> Extracted:
        if name not in _extractions:
            if name in PDF_FILES:
                path = request.getfixturevalue("pdfs")[PDF_FILES[name]]
            else:
                path = request.getfixturevalue("rendered")[name]
            _extractions[name] = extract(path)
        return _extractions[name]

    return get


# --- every structured format --------------------------------------------------------------------


@pytest.mark.parametrize("name", STRUCTURED)
def test_every_corpus_sentence_is_extracted_in_order(
    extracted: Callable[[str], Extracted], name: str
) -> None:
    text = squash(extracted(name).text)
    position = 0
    for paragraph in STRUCTURE.paragraphs:
        for sentence in sentences(paragraph):
            found = text.find(sentence, position)
            assert found >= 0, f"{name}: missing or out of order: {sentence!r}"
            position = found + len(sentence)


@pytest.mark.parametrize("name", STRUCTURED)
def test_each_corpus_paragraph_is_one_line(
    extracted: Callable[[str], Extracted], name: str
) -> None:
    lines = extracted(name).text.split("\n")
    for paragraph in STRUCTURE.paragraphs:
        assert squash(paragraph) in lines, f"{name}: paragraph split or merged: {paragraph[:60]!r}"


@pytest.mark.parametrize("name", STRUCTURED)
def test_headings_are_found_with_their_levels(
    extracted: Callable[[str], Extracted], name: str
) -> None:
    result = extracted(name)
    assert result.headings is not None
    found = [(result.text[h.start : h.end], h.level) for h in result.headings]
    # Word has a "Title" style and then Heading 1, 2, 3: the title and the top sections are
    # both level 1 there. Everywhere else the title is level 1 and sections start at 2.
    shift = 1 if name == "docx" else 0
    expected = [(b.text, max(1, b.level - shift)) for b in STRUCTURE.headings]
    assert found == expected


@pytest.mark.parametrize("name", STRUCTURED)
def test_text_has_the_promised_shape(extracted: Callable[[str], Extracted], name: str) -> None:
    result = extracted(name)
    text = result.text
    assert result.format == name.split("_")[0]
    assert text and "\n\n\n" not in text
    assert "\n" not in text.replace("\n\n", ""), "a hard wrap inside a block"
    for line in text.split("\n"):
        assert line == line.strip()
    for heading in result.headings or ():
        assert heading.start == 0 or text[heading.start - 2 : heading.start] == "\n\n"
        assert heading.end == len(text) or text[heading.end : heading.end + 2] == "\n\n"
        assert text[heading.start : heading.end].strip()


# --- PDF ----------------------------------------------------------------------------------------


def printed_pages(path: Path) -> list[str]:
    """Each page's text as PDFium reads it, whitespace squashed: where Chromium printed what."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(path)
    try:
        pages = []
        for page in pdf:
            raw = page.get_textpage().get_text_range()
            pages.append(squash(raw.replace("\ufffe", "-").replace("\x02", "-")))
        return pages
    finally:
        pdf.close()


def _probes(sentence: str) -> list[str]:
    words = sentence.split()
    return [" ".join(words[:5]), " ".join(words[-5:])] if len(words) >= 8 else []


@pytest.mark.parametrize("name", PDF_FILES)
def test_pdf_pages_say_where_each_sentence_was_printed(
    extracted: Callable[[str], Extracted], pdfs: dict[str, Path], name: str
) -> None:
    result = extracted(name)
    printed = printed_pages(pdfs[PDF_FILES[name]])
    pages = result.pages
    assert len(pages) == len(printed) > 3
    assert pages[0] == 0 and list(pages) == sorted(pages) and pages[-1] <= len(result.text)
    checked = spanning = 0
    total = 0
    for paragraph in STRUCTURE.paragraphs:
        for sentence in sentences(paragraph):
            total += 1
            probes = _probes(sentence)
            where = [[n for n, page in enumerate(printed) if probe in page] for probe in probes]
            if not probes or any(len(w) != 1 for w in where):
                continue  # split by a page break or a hyphen, or not unique
            start = result.text.index(sentence)
            first = result.text.index(probes[0], start)
            last = result.text.index(probes[1], start) + len(probes[1]) - 1
            assert bisect.bisect_right(pages, first) - 1 == where[0][0], sentence
            assert bisect.bisect_right(pages, last) - 1 == where[1][0], sentence
            checked += 1
            spanning += where[0][0] != where[1][0]
    assert checked >= 0.8 * total
    assert spanning >= 1, "no sentence runs over a page break: the test shows nothing there"


@pytest.mark.parametrize("name", PDF_FILES)
def test_pdf_running_header_and_page_numbers_are_removed(
    extracted: Callable[[str], Extracted], name: str
) -> None:
    text = extracted(name).text
    assert render.PDF_HEADER_NOTE not in text
    assert text.count(STRUCTURE.title) == 1  # the heading, not the header repeating it
    assert not re.search(r"\b\d+ / \d+\b|Page \d+ of \d+", text)
    assert not any(re.fullmatch(r"\d+", line) for line in text.split("\n"))


def test_pdf_line_end_hyphens_are_kept_or_joined(pdfs: dict[str, Path]) -> None:
    import pypdfium2

    pdf = pypdfium2.PdfDocument(pdfs["hyphenation"])
    raw = pdf[0].get_textpage().get_text_range()
    pdf.close()
    # The column is narrow enough that lines end in both kinds of hyphen: real ones (PDFium
    # marks a "-" ending a line with U+FFFE) and soft-hyphen breaks (printed as U+2010).
    assert "\ufffe" in raw or "-\r\n" in raw
    assert "\u2010\r\n" in raw
    shown, _ = render.hyphenation_paragraph()
    assert extract(pdfs["hyphenation"]).text == render.HYPHENATION_INTRO + "\n\n" + shown


def test_join_hyphenated_decides_by_the_document_words() -> None:
    from collections import Counter

    from tilqa.formats.pdf import join_hyphenated

    words = Counter(["next-generation", "immunotherapy", "tumor", "clinical", "stage"])
    assert join_hyphenated("new thera-", "pies work", words) == "new therapies work"
    assert join_hyphenated("These next-", "generation cells", words) is None
    assert join_hyphenated("cancer immuno-", "therapy", words) == "cancer immunotherapy"
    assert join_hyphenated("and re-", "infusing them", words) is None  # a prefix
    assert join_hyphenated("clinical\u2010", "stage company", words) is None  # two words
    assert join_hyphenated("prior anti-", "PD-1 therapy", words) is None  # upper case next
    assert join_hyphenated("ends with a", "word", words) is None


def test_scanned_pdf_is_read_by_ocr_or_says_what_to_install(pdfs: dict[str, Path]) -> None:
    try:
        extracted = extract(pdfs["scanned"])
    except ExtractionError as exc:  # without Tesseract (tests/test_ocr.py tests OCR itself)
        assert re.search(r"no text layer.*OCR unavailable", str(exc)), exc
    else:
        # Tesseract may read the page's words as two columns: each is there, in its order.
        assert "Scanned page:" in extracted.text and "lifileucel, line 12" in extracted.text


def test_a_reader_whose_library_cannot_be_imported_skips_only_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rendered: dict[str, Path]
) -> None:
    import tilqa
    from helpers import HashEncoder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for kind in ("html", "markdown", "docx"):
        shutil.copy(rendered[kind], corpus / rendered[kind].name)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    # Files are read in a worker process (formats/worker.py): give it a trafilatura that fails to
    # import, as a broken install would, and a fresh worker that sees it.
    shadow = tmp_path / "shadow" / "trafilatura"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no module named lxml.html.clean')\n", encoding="utf-8")
    stop_workers()
    try:
        with monkeypatch.context() as broken:
            broken.setitem(sys.modules, "trafilatura", None)  # and in this process
            broken.setenv("PYTHONPATH", os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")]))
            report = assistant.build()
    finally:
        stop_workers()
    assert report.files == 2 and [s.source for s in report.skipped] == ["corpus.html"]
    assert report.skipped[0].reason.startswith("HTML reader unavailable: ")
    # Once the library imports, the next build reads the file it could not.
    (corpus / "more.md").write_text("# More\n\nAnother paragraph about TIL therapy.\n", encoding="utf-8")
    report = assistant.build()
    assert report.files == 4 and not report.skipped


def test_encrypted_pdf_is_reported_as_encrypted(pdfs: dict[str, Path]) -> None:
    with pytest.raises(ExtractionError, match="encrypted PDF: remove the password"):
        extract(pdfs["encrypted"])


def test_truncated_pdf_is_reported_as_damaged(pdfs: dict[str, Path]) -> None:
    with pytest.raises(ExtractionError, match="damaged"):
        extract(pdfs["corrupt"])


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", r"^the file is empty \(0 bytes\)$"),  # said plainly, without the PDF library's words
        (b"not a pdf at all", "damaged or not a PDF"),
        (b"%PDF-1.7\n%%EOF\n", "damaged|no pages"),
    ],
)
def test_bytes_that_are_no_pdf_raise_extraction_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match=reason) as error:
        extract(path)
    assert "PDFium" not in str(error.value)


# --- HTML, DOCX, Markdown -----------------------------------------------------------------------


def test_html_leaves_out_navigation_cookie_banner_sidebar_and_footer(
    extracted: Callable[[str], Extracted],
) -> None:
    text = extracted("html").text
    lines = set(text.split("\n"))
    for boilerplate in (render.COOKIE_TEXT, render.ASIDE_TEXT, render.FOOTER_TEXT):
        assert boilerplate not in text
    for line in (*render.NAV_LINKS, "Accept", "Privacy policy", "More from us"):
        assert line not in lines


def test_html_lists_and_headings_of_a_small_page(tmp_path: Path) -> None:
    prose = "The trial enrolled patients with advanced melanoma after anti-PD-1 therapy. " * 3
    page = tmp_path / "page.htm"
    page.write_text(
        "<html><body><nav><a href='/'>Home</a></nav><article><h1>Trials</h1>"
        f"<p>{prose}</p><h2>Sites</h2><ul><li>Moffitt Cancer Center</li>"
        f"<li>MD Anderson Cancer Center</li></ul><p>{prose}</p></article>"
        "<footer>Contact us</footer></body></html>",
        encoding="utf-8",
    )
    result = extract(page)
    lines = result.text.split("\n\n")
    assert "Moffitt Cancer Center" in lines and "MD Anderson Cancer Center" in lines
    assert [(result.text[h.start : h.end], h.level) for h in result.headings or ()] == [
        ("Trials", 1),
        ("Sites", 2),
    ]
    assert "Home" not in lines and "Contact us" not in result.text


def test_html_page_title_heads_its_text_once(tmp_path: Path) -> None:
    """A page's <title> is its first heading, so its passages' heading paths name the page; a
    page whose first heading is its title has it once."""
    prose = "Standby servers replay the write-ahead log they receive from the primary server. " * 3
    body = f"<article><h2>Settings</h2><p>{prose}</p></article>"
    page = tmp_path / "standby.html"
    page.write_text(f"<html><head><title>Hot Standby</title></head><body>{body}</body></html>", encoding="utf-8")
    result = extract(page)
    assert [(result.text[h.start : h.end], h.level) for h in result.headings or ()] == [("Hot Standby", 1), ("Settings", 2)]
    same = tmp_path / "same.html"
    same.write_text(f"<html><head><title>Settings</title></head><body>{body}</body></html>", encoding="utf-8")
    assert [same_h.level for same_h in extract(same).headings or ()] == [2]


def test_docx_leaves_out_page_header_and_footer(extracted: Callable[[str], Extracted]) -> None:
    text = extracted("docx").text
    assert render.DOCX_HEADER not in text and render.DOCX_FOOTER not in text


def test_docx_table_cells_are_paragraphs(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_heading("Sites", level=1)
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Centre", "City"
    table.cell(1, 0).text, table.cell(1, 1).text = "Moffitt Cancer Center", "Tampa"
    document.add_paragraph("After the table.")
    path = tmp_path / "sites.docx"
    document.save(str(path))
    result = extract(path)
    assert (
        result.text
        == "Sites\n\nCentre\n\nCity\n\nMoffitt Cancer Center\n\nTampa\n\nAfter the table."
    )
    assert result.headings and result.headings[0].level == 1


def test_markdown_markup_is_not_in_the_text(
    extracted: Callable[[str], Extracted], rendered: dict[str, Path]
) -> None:
    source = rendered["markdown"].read_text(encoding="utf-8")
    assert "**" in source and "](" in source and "`" in source  # the rendering has markup
    text = extracted("markdown").text
    for markup in ("**", "[", "](", "`", "#", render.LINK_URL):
        assert markup not in text
    linked = next(p for p in STRUCTURE.paragraphs if "lifileucel" in p)
    assert squash(linked) in text.split("\n")


def test_markdown_lists_quotes_and_code_are_blocks(tmp_path: Path) -> None:
    path = tmp_path / "notes.markdown"
    path.write_text(
        "Title\n=====\n\nSome *emphasis* and __strong__ words, [a link](http://example.com)"
        " and `code`.\n\n- item one\n- item **two**\n  continued\n\n1. first\n2. second\n\n"
        "> quoted text\n\n```\ncode block\n```\n",
        encoding="utf-8",
    )
    result = extract(path)
    assert result.text == (
        "Title\n\nSome emphasis and strong words, a link and code.\n\nitem one\n\n"
        "item two continued\n\nfirst\n\nsecond\n\nquoted text\n\ncode block"
    )
    assert result.headings == (type(result.headings[0])(0, 5, 1),)


# --- plain text, dispatch -----------------------------------------------------------------------


def test_text_is_the_file_exactly() -> None:
    result = extract(CORPUS_FILE)
    assert result == Extracted(text=CORPUS_FILE.read_text(encoding="utf-8"), format="text", headings=None)


@pytest.mark.parametrize(
    ("content", "text", "reason"),
    [
        (b"one\r\ntwo\rthree\n", "one\ntwo\nthree\n", None),
        (b"", None, "empty file"),
        (b"  \n", None, "empty file"),
        (b"bin\x00ary", None, "binary file (contains NUL bytes)"),
        ("caf\u00e9".encode("latin-1"), None, "not valid UTF-8 (byte 3)"),
    ],
)
def test_text_files_keep_tilqas_rules_for_text(
    tmp_path: Path, content: bytes, text: str | None, reason: str | None
) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(content)
    if reason is None:
        assert extract(path).text == text
    else:
        with pytest.raises(ExtractionError) as caught:
            extract(path)
        assert str(caught.value) == reason


def test_unsupported_suffix_is_a_value_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.xyz"
    path.write_text("text", encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported file type .xyz"):
        extract(path)


@pytest.mark.parametrize(
    "content", [b"not a zip", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512]
)
def test_unreadable_docx_raises_extraction_error(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "report.docx"
    path.write_bytes(content)
    with pytest.raises(ExtractionError, match="unreadable DOCX|encrypted"):
        extract(path)


def test_suffixes_are_lower_case_and_name_known_formats() -> None:
    assert all(s == s.lower() and s.startswith(".") for s in SUFFIXES)
    assert set(SUFFIXES.values()) == {"text", "markdown", "pdf", "html", "docx"}


def test_importing_formats_loads_no_extraction_library() -> None:
    heavy = "('pypdfium2', 'docx', 'trafilatura', 'markdown_it')"
    code = f"import sys, tilqa.formats; print([m for m in {heavy} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
