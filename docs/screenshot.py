"""Retake docs/screenshot.png: the real chat, served on a free loopback port, asked a question and
a follow-up in Debian's headless Chromium (as tests/test_browser.py drives it), with the Documents
panel open.

    .venv/bin/python docs/screenshot.py ["question" ["follow-up" ...]]
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import tilqa
from tilqa.web import launch

HERE = Path(__file__).resolve().parent
QUESTIONS = ["Which gene editing technique is Iovance using on its TILs?", "who licensed it to them?"]


def main() -> None:
    questions = sys.argv[1:] or QUESTIONS
    from playwright.sync_api import sync_playwright

    assistant = tilqa.Assistant(corpus_dir=HERE.parent / "corpus", index_dir=HERE.parent / "index")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = launch(assistant, host="127.0.0.1", port=port, block=False)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/", timeout=60_000)
            for number, question in enumerate(questions, 1):
                page.fill("#question textarea", question)
                page.click("#ask")
                page.wait_for_function(
                    "n => document.querySelectorAll('#chat [data-testid=bot]').length >= n", arg=number,
                    timeout=60_000,
                )
            page.click("#documents button, #documents .label-wrap")
            page.wait_for_selector("#document-list table.documents", timeout=60_000)
            page.wait_for_timeout(500)
            page.screenshot(path=str(HERE / "screenshot.png"), full_page=True)
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
