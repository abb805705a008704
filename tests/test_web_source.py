"""The source view, `GET /source`, over HTTP (`tilqa.web.source`): the cited span marked, every
text escaped, bad links refused with a message, a PDF shown a page at a time."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path
from typing import Iterator

import httpx
import pytest

import tilqa
from tilqa.web import source_url

from helpers import FACT, SHIPPED, HashEncoder, marked, pdf_page_of, serve, shown_text

MARKUP_NAME = "<img src=x onerror=alert(1)> & <b>co.txt"  # markup a file name may hold (no "/")
MARKUP = "Markup test\n\nA line with <script>alert(1)</script> & <b>bold</b> text in it.\n"


@pytest.fixture(scope="module")
def hash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tilqa.Assistant]]:
    """The chat on a copy of the shipped corpus plus a file full of markup, with HashEncoder."""
    folder = tmp_path_factory.mktemp("sources")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    (corpus / "markup.txt").write_text(MARKUP, encoding="utf-8")
    (corpus / MARKUP_NAME).write_text("A file whose name is markup.\n", encoding="utf-8")
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=folder / "index", embedder=HashEncoder())
    with serve(assistant) as url:
        yield url, assistant


def test_a_citation_link_shows_the_document_with_the_passage_marked(hash_server) -> None:
    url, assistant = hash_server
    citation = assistant.ask("Which IL-2 product did Iovance acquire?").citations[0]
    response = httpx.get(url + source_url(citation), timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "script-src 'sha256-" in response.headers["content-security-policy"]
    assert marked(response.text) == citation.text
    assert shown_text(response.text) == assistant.document_text(citation.source)
    assert "scrollIntoView" in response.text


def test_document_text_is_escaped_so_its_markup_never_runs(hash_server) -> None:
    url, assistant = hash_server
    text = assistant.document_text("markup.txt")
    start = text.index("<script>")
    page = httpx.get(url + "source", params={"source": "markup.txt", "start": start, "end": len(text)}, timeout=30).text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<b>" not in page
    assert page.count("<script>") == 1  # the page's own, allowed by its hash alone
    assert marked(page) == text[start:]


def test_a_document_name_with_markup_is_shown_as_text_in_the_heading(hash_server) -> None:
    url, assistant = hash_server
    assert MARKUP_NAME in assistant.index.documents
    page = httpx.get(url + "source", params={"source": MARKUP_NAME, "start": 0, "end": 6}, timeout=30).text
    heading = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert heading and heading.group(1) == "&lt;img src=x onerror=alert(1)&gt; &amp; &lt;b&gt;co.txt"
    assert "<img" not in page and "<b>" not in page
    assert marked(page) == "A file"


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ({"source": "nothing.txt", "start": "0", "end": "5"}, 404, "no document"),
        ({"source": "../corpus/iovance-rd-focus.txt", "start": "0", "end": "5"}, 404, "no document"),
        ({"source": "/etc/passwd"}, 404, "no document"),
        ({"start": "0", "end": "5"}, 400, "does not say which document"),
        ({"source": "iovance-rd-focus.txt", "start": "x", "end": "5"}, 400, "whole numbers"),
        ({"source": "iovance-rd-focus.txt", "start": "-1", "end": "5"}, 400, "whole numbers"),
        ({"source": "iovance-rd-focus.txt", "start": "9", "end": "5"}, 400, "start &lt; end"),
        ({"source": "iovance-rd-focus.txt", "start": "0", "end": "99999999"}, 400, "whole numbers"),
        ({"source": "iovance-rd-focus.txt", "start": "0"}, 400, "whole numbers"),
        ({"source": "iovance-rd-focus.txt", "start": "0", "end": "5", "page": "2"}, 400, "has no pages"),
    ],
)
def test_a_bad_link_gets_a_page_saying_what_is_wrong(hash_server, query: dict, status: int, says: str) -> None:
    url, _ = hash_server
    response = httpx.get(url + "source", params=query, timeout=30)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text and "Traceback" not in response.text
    assert "root:" not in response.text  # never a file read from a path


def test_a_pdf_citation_shows_its_page_of_the_document(hash_server, rendered: dict[str, Path]) -> None:
    url, assistant = hash_server
    from tilqa.uploads import add_file

    add_file(assistant.settings.corpus_dir, "zephyr-brief.pdf", rendered["pdf"], 10_000_000)
    assistant.build()
    text = assistant.document_text("zephyr-brief.pdf")
    pages = assistant.index.documents["zephyr-brief.pdf"].pages
    start = text.index(FACT)
    page, count = pdf_page_of(rendered["pdf"], FACT)
    assert len(pages) == count and page > 1
    response = httpx.get(
        url + "source", params={"source": "zephyr-brief.pdf", "start": start, "end": start + len(FACT)}, timeout=30
    )
    assert response.status_code == 200
    assert f"page {page} of {count}" in response.text
    assert marked(response.text) == FACT
    page_end = pages[page] if page < count else len(text)
    assert shown_text(response.text) == text[pages[page - 1]:page_end]
    assert_page_image_highlights(response.text, rendered["pdf"], page, FACT)
    first = httpx.get(url + "source", params={"source": "zephyr-brief.pdf", "page": "1"}, timeout=30)
    assert first.status_code == 200 and f"page 1 of {count}" in first.text and "<mark" not in first.text
    assert "data-lines='0'" in first.text  # the page drawn, nothing on it highlighted
    assert httpx.get(url + "source", params={"source": "zephyr-brief.pdf", "page": "0"}, timeout=30).status_code == 400


def test_the_answer_sentence_is_marked_inside_the_passage(hash_server) -> None:
    url, assistant = hash_server
    citation = next(c for c in assistant.ask("Which IL-2 product did Iovance acquire?").citations if c.answer_start is not None)
    page = httpx.get(url + source_url(citation), timeout=30).text
    inside = re.search(r"<span class='answer' id='answer'>(.*?)</span>", page, re.S)
    assert inside and html.unescape(inside.group(1)) == citation.text[citation.answer_start : citation.answer_end]
    assert marked(page) == citation.text
    bad = httpx.get(url + "source", params={"source": citation.source, "start": citation.start, "end": citation.end,
                                            "answer_start": citation.end, "answer_end": citation.end + 5}, timeout=30)
    assert bad.status_code == 400 and "inside the passage" in bad.text


def assert_page_image_highlights(page: str, pdf: Path, number: int, phrase: str) -> None:
    """The source page shows page `number` of `pdf` as an image, with highlights covering the
    boxes of `phrase`'s characters on that page, and not the whole page."""
    import base64
    import io

    import pypdfium2
    from PIL import Image

    image = re.search(r"<img src='data:image/png;base64,([^']+)'", page)
    assert image, "no page image"
    boxes = [tuple(float(v) for v in m) for m in re.findall(
        r"<div class='line[^']*' style='left:([\d.]+)%;top:([\d.]+)%;width:([\d.]+)%;height:([\d.]+)%'>", page)]
    document = pypdfium2.PdfDocument(str(pdf))
    try:
        sheet = document[number - 1]
        width, height = sheet.get_size()
        drawn = Image.open(io.BytesIO(base64.b64decode(image.group(1))))
        assert abs(drawn.width / drawn.height - width / height) < 0.01
        textpage = sheet.get_textpage()
        first = textpage.get_text_range().find(phrase)  # the page's characters, as PDFium reads them
        assert first >= 0, f"{phrase!r} not on page {number}"
        for index in range(first, first + len(phrase)):
            if not phrase[index - first].isalnum():
                continue  # spaces and punctuation: the letters and digits are what is highlighted
            left, bottom, right, top = textpage.get_charbox(index)
            x, y = 100 * (left + right) / 2 / width, 100 * (height - (top + bottom) / 2) / height
            assert any(bx <= x <= bx + bw and by <= y <= by + bh for bx, by, bw, bh in boxes), (index, x, y, boxes)
    finally:
        document.close()
    assert sum(bw * bh for _, _, bw, bh in boxes) < 0.25 * 100 * 100  # the cited lines, not the page
