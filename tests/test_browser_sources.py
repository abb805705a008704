"""The source view and uploads from the page: `GET /source` over HTTP (the cited span marked,
every text escaped, bad links refused with a message, the login honoured), then in headless
Chromium: a citation's link opens its document with the passage marked and in view, and a file
added with the page's upload button is announced in the chat and can be asked about."""

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

from helpers import HashEncoder
from test_uploads import FACT, QUESTION, SHIPPED, pdf_page_of, real_assistant_on, rendered, serve  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 60_000
MARKUP = "Markup test\n\nA line with <script>alert(1)</script> & <b>bold</b> text in it.\n"

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (`make test` installs it when run as root)"
)


@pytest.fixture(scope="module")
def hash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tilqa.Assistant]]:
    """The chat on a copy of the shipped corpus plus a file full of markup, with HashEncoder."""
    folder = tmp_path_factory.mktemp("sources")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    (corpus / "markup.txt").write_text(MARKUP, encoding="utf-8")
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=folder / "index", embedder=HashEncoder())
    with serve(assistant) as url:
        yield url, assistant


def shown_text(page: str) -> str:
    """The document text a source page shows, as the reader sees it (tags removed, unescaped)."""
    body = re.search(r"<div class='text'>(.*)</div>", page, re.S)
    assert body, page[:500]
    return html.unescape(re.sub(r"</?mark[^>]*>", "", body.group(1)))


def marked(page: str) -> str:
    found = re.findall(r"<mark id='cited'>(.*?)</mark>", page, re.S)
    assert len(found) == 1, found
    return html.unescape(found[0])


# -- over HTTP ---------------------------------------------------------------------------------


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
    first = httpx.get(url + "source", params={"source": "zephyr-brief.pdf", "page": "1"}, timeout=30)
    assert first.status_code == 200 and f"page 1 of {count}" in first.text and "<mark" not in first.text
    assert httpx.get(url + "source", params={"source": "zephyr-brief.pdf", "page": "0"}, timeout=30).status_code == 400


def test_the_source_view_needs_the_login_when_the_chat_has_one(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    query = {"source": "iovance-rd-focus.txt", "start": "0", "end": "20"}
    with serve(assistant, auth="ann:s3cret") as url, httpx.Client(base_url=url, timeout=30) as client:
        refused = client.get("source", params=query)
        assert refused.status_code == 401 and "Log in" in refused.text and "<mark" not in refused.text
        assert client.post("login", data={"username": "ann", "password": "wrong"}).status_code >= 400
        assert client.get("source", params=query).status_code == 401
        assert client.post("login", data={"username": "ann", "password": "s3cret"}).status_code == 200
        allowed = client.get("source", params=query)
        assert allowed.status_code == 200 and marked(allowed.text) == assistant.document_text("iovance-rd-focus.txt")[:20]


# -- in Chromium -------------------------------------------------------------------------------


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (`make test` installs it when run as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def open_chat(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url, timeout=TIMEOUT_MS)
    page.wait_for_selector("#question textarea", timeout=TIMEOUT_MS)
    return page


def ask(page, question: str, replies: int) -> None:
    """Ask in the page and wait until the chat holds `replies` bot bubbles with an answer in the last."""
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(
        """([n, q]) => {
            const users = [...document.querySelectorAll('#chat [data-testid="user"]')];
            const bots = document.querySelectorAll('#chat [data-testid="bot"]');
            return users.length && users[users.length - 1].innerText.includes(q) && bots.length >= n
                && bots[bots.length - 1].querySelector('strong');
        }""",
        arg=[replies, question],
        timeout=TIMEOUT_MS,
    )


def in_view(page, selector: str) -> bool:
    return page.evaluate(
        """(s) => { const r = document.querySelector(s).getBoundingClientRect();
                    return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight; }""",
        selector,
    )


@pytest.mark.browser
@pytest.mark.model
def test_clicking_a_citation_opens_its_document_with_the_passage_marked_in_view(browser, server_url: str) -> None:
    page = open_chat(browser, server_url)
    ask(page, "Which IL-2 product did Iovance acquire?", 1)
    reply = page.locator('#chat [data-testid="bot"]').last
    with page.context.expect_page(timeout=TIMEOUT_MS) as opened:
        reply.locator("a.source-link").first.click()
    source = opened.value
    source.wait_for_load_state("load", timeout=TIMEOUT_MS)
    source.wait_for_selector("mark#cited", timeout=TIMEOUT_MS)
    cited = " ".join(source.locator("mark#cited").inner_text().split())
    assert "Proleukin" in cited and "acquisition" in cited
    assert "iovance-rd-focus.txt" in source.locator("h1").inner_text()
    source.wait_for_function("() => window.scrollY > 0", timeout=TIMEOUT_MS)  # the passage is far down
    assert in_view(source, "mark#cited")


@pytest.mark.browser
@pytest.mark.model
def test_a_file_uploaded_in_the_page_is_announced_then_answers_questions(
    browser, rendered: dict[str, Path], assistant: tilqa.Assistant, tmp_path: Path
) -> None:
    own = real_assistant_on(tmp_path, assistant)
    with serve(own) as url:
        page = open_chat(browser, url)
        with page.expect_file_chooser(timeout=TIMEOUT_MS) as chooser:
            page.click("#upload")
        chooser.value.set_files([str(rendered["pdf"])])
        page.wait_for_function(
            "() => document.querySelector('#chat').innerText.includes('added zephyr-brief.pdf')", timeout=TIMEOUT_MS
        )
        chat = page.locator("#chat").inner_text()
        counts = re.search(r"added zephyr-brief\.pdf: (\d+) pages, (\d+) passages", chat)
        assert counts, chat
        data = own.index
        passages = sum(1 for p in data.passages if p.source == "zephyr-brief.pdf")
        assert (int(counts[1]), int(counts[2])) == (len(data.documents["zephyr-brief.pdf"].pages), passages)

        ask(page, QUESTION, 2)
        reply = page.locator('#chat [data-testid="bot"]').last.inner_text()
        fact_page, _ = pdf_page_of(rendered["pdf"], FACT)
        assert "Castellan Instruments" in reply and f"zephyr-brief.pdf p. {fact_page}" in reply
