"""The Documents panel and upload notices in headless Chromium, on a served chat with uploads (the
answers are HashEncoder's: what is checked is the page around them). A file added with the
upload button is announced in its own bubble, with a status line while it is indexed, then listed
in the panel, and the page stops describing the shipped corpus alone; removing it from the panel
takes it out of the corpus, the index and the list."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import tilqa

from helpers import SHIPPED, HashEncoder, serve

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 60_000
ZEPHYR = "The Zephyr kiln is made by Castellan Instruments in Leeds.\n\nIt fires porcelain at 1300 degrees."


@pytest.fixture
def page(tmp_path: Path):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (`make test` installs it when run as root)")
    from playwright.sync_api import sync_playwright

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    with serve(assistant) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(url, timeout=TIMEOUT_MS)
            page.wait_for_selector("#question textarea", timeout=TIMEOUT_MS)
            page.assistant = assistant
            yield page
        finally:
            browser.close()


def bubbles(page) -> list[str]:
    return page.locator('#chat [data-testid="bot"]').all_inner_texts()


def wait_for_chat(page, text: str) -> None:
    page.wait_for_function("(t) => document.querySelector('#chat').innerText.includes(t)", arg=text,
                           timeout=TIMEOUT_MS)


def panel_rows(page) -> dict[str, list[str]]:
    rows = page.locator("#document-list table.documents tbody tr")
    return {cells[0]: cells for cells in (r.locator("td").all_inner_texts() for r in rows.all())}


def test_documents_are_listed_added_and_removed_with_notices_in_their_own_bubbles(page, tmp_path: Path) -> None:
    assistant = page.assistant
    assert "Iovance" in page.title() and "Iovance" in page.get_attribute("#question textarea", "placeholder")
    page.click("#documents button, #documents .label-wrap")
    page.wait_for_selector("#document-list table.documents", timeout=TIMEOUT_MS)
    assert set(panel_rows(page)) == {"iovance-rd-focus.txt"}

    page.fill("#question textarea", "What is TILVANCE-301?")
    page.click("#ask")
    page.wait_for_function("() => document.querySelectorAll('#chat [data-testid=\"bot\"]').length >= 1",
                           timeout=TIMEOUT_MS)
    answer = bubbles(page)[-1]

    # What the status line showed while the upload was indexed.
    page.evaluate("""() => { window.seen = [];
        new MutationObserver(() => window.seen.push(document.querySelector('#upload-status').innerText))
          .observe(document.querySelector('#upload-status'), {subtree: true, childList: true, characterData: true}); }""")
    (tmp_path / "zephyr.txt").write_text(ZEPHYR)
    (tmp_path / "empty.pdf").write_bytes(b"")
    with page.expect_file_chooser(timeout=TIMEOUT_MS) as chooser:
        page.click("#upload")
    chooser.value.set_files([str(tmp_path / "zephyr.txt"), str(tmp_path / "empty.pdf")])
    wait_for_chat(page, "added zephyr.txt")
    texts = bubbles(page)
    assert texts[0] == answer  # the previous answer's bubble holds no notice
    refused = [t for t in texts if t.startswith("not added: empty.pdf")]
    assert len(refused) == 1 and "empty" in refused[0].removeprefix("not added: empty.pdf")
    assert "PDFium" not in refused[0]
    added = [t for t in texts if t.startswith("added zephyr.txt")]
    passages = assistant.document_summary("zephyr.txt").passages
    assert len(added) == 1 and re.search(rf"\b{passages} passages?\b", added[0])
    assert any("indexing zephyr.txt" in s for s in page.evaluate("window.seen"))

    page.wait_for_function("() => document.querySelectorAll('#document-list tbody tr').length == 2",
                           timeout=TIMEOUT_MS)
    rows = panel_rows(page)
    assert set(rows) == {"iovance-rd-focus.txt", "zephyr.txt"}
    assert rows["zephyr.txt"][1] == "text" and rows["zephyr.txt"][3].startswith(f"{passages} passage")
    page.wait_for_function("() => !document.title.includes('Iovance')", timeout=TIMEOUT_MS)
    assert "Iovance" not in page.get_attribute("#question textarea", "placeholder")

    page.click("#remove-choice input")
    page.get_by_role("option", name="zephyr.txt").click()
    page.click("#remove")
    wait_for_chat(page, "removed zephyr.txt")
    page.wait_for_function("() => document.querySelectorAll('#document-list tbody tr').length == 1",
                           timeout=TIMEOUT_MS)
    assert set(panel_rows(page)) == {"iovance-rd-focus.txt"}
    assert not (assistant.settings.corpus_dir / "zephyr.txt").exists()
    assert [d.source for d in assistant.documents()] == ["iovance-rd-focus.txt"]
    page.wait_for_function("() => document.title.includes('Iovance')", timeout=TIMEOUT_MS)
