"""The source view and uploads from the page in headless Chromium: a citation's link opens its
document with the passage marked and in view, and a file added with the page's upload button is
announced in the chat and can be asked about. (The source view over HTTP: test_web_source.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import tilqa

from helpers import FACT, QUESTION, need_chromium, pdf_page_of, real_assistant_on, serve

FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
TIMEOUT_MS = 60_000


# -- in Chromium -------------------------------------------------------------------------------


@pytest.fixture
def browser():
    chromium = need_chromium("the chat cannot be driven in a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), headless=True, args=FLAGS)
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

        # Its citation opens the page itself beside its text, the cited lines highlighted on it.
        link = page.locator('#chat [data-testid="bot"]').last.locator("a.source-link", has_text="show in document")
        pdf_links = [i for i in range(link.count()) if "zephyr-brief.pdf" in (link.nth(i).get_attribute("href") or "")]
        assert pdf_links
        with page.context.expect_page(timeout=TIMEOUT_MS) as opened:
            link.nth(pdf_links[0]).click()
        source = opened.value
        source.wait_for_load_state("load", timeout=TIMEOUT_MS)
        source.set_viewport_size({"width": 1400, "height": 1000})
        source.wait_for_function(
            "() => { const i = document.querySelector('#page-image img'); return i && i.complete && i.naturalWidth > 0; }",
            timeout=TIMEOUT_MS,
        )
        assert f"page {fact_page} of" in source.locator("header").inner_text()
        figure, text = source.locator("#page-image").bounding_box(), source.locator("div.text").bounding_box()
        assert figure["x"] + figure["width"] <= text["x"]  # beside the text
        highlights = source.locator("#page-image .line")
        assert highlights.count() >= 1 and all(
            (box := highlights.nth(i).bounding_box()) and box["height"] > 0 for i in range(highlights.count())
        )
        assert in_view(source, "mark#cited")
        source.screenshot(path=str(Path(__file__).resolve().parents[1] / "artifacts" / "source-pdf-page.png"))
