"""The chat in a real headless Chromium (Debian's), driven by Playwright, against the real server."""

from pathlib import Path

import pytest

from helpers import need_chromium

pytestmark = [pytest.mark.browser, pytest.mark.model]

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    chromium = need_chromium("the chat cannot be driven in a browser")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser, server_url: str):
    """A page of its own for each test: a fresh chat, whatever ran before."""
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(server_url, timeout=TIMEOUT_MS)
    page.wait_for_selector("#question textarea", timeout=TIMEOUT_MS)
    try:
        yield page
    finally:
        context.close()


def ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")


def wait_for_replies(page, count: int) -> None:
    """Until the chat holds `count` bot replies (Gradio marks each message with data-testid)."""
    page.wait_for_function(
        "n => document.querySelectorAll('#chat [data-testid=\"bot\"]').length >= n", arg=count, timeout=TIMEOUT_MS
    )


def last_reply(page) -> str:
    return page.locator('#chat [data-testid="bot"]').last.inner_text()


def exchange_in_view(page) -> bool:
    """Whether the latest question and its reply's answer line both lie inside the chat's scrolled
    area (the chat scrolls to the end of each reply)."""
    return page.evaluate(
        """() => {
            const question = [...document.querySelectorAll('#chat [data-testid="user"]')].pop();
            const answer = [...document.querySelectorAll('#chat [data-testid="bot"]')].pop().querySelector('strong');
            let box = answer.parentElement;
            while (box && !(box.scrollHeight > box.clientHeight + 1 && getComputedStyle(box).overflowY !== 'visible')) {
                box = box.parentElement;
            }
            // The chat's own scrolled area; without one, the chat itself (the window may be scrolled
            // away from it by clicking an example below it, which is not the chat's doing).
            const view = (box || document.querySelector('#chat')).getBoundingClientRect();
            const inside = (e) => { const r = e.getBoundingClientRect(); return r.top >= view.top && r.bottom <= view.bottom; };
            return inside(question) && inside(answer);
        }"""
    )


def test_typed_question_gets_answer_with_sources_and_highlight(page) -> None:
    ask(page, "Which IL-2 product did Iovance acquire?")
    wait_for_replies(page, 1)
    reply = page.locator('#chat [data-testid="bot"]').last
    text = reply.inner_text()
    assert "Proleukin" in text and "iovance-rd-focus.txt" in text and "Licensing and Acquisition" in text
    assert "Proleukin" in reply.locator("mark").first.inner_text()
    assert exchange_in_view(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"), full_page=True)


def test_clicking_an_example_asks_it(page) -> None:
    page.get_by_role("button", name="Which regulatory agencies have to evaluate TIL therapies?").click()
    wait_for_replies(page, 1)
    assert "Food and Drug Administration" in last_reply(page)
    assert exchange_in_view(page)


def test_a_second_exchange_is_scrolled_into_view_below_the_first(page) -> None:
    ask(page, "Which IL-2 product did Iovance acquire?")
    wait_for_replies(page, 1)
    page.get_by_role("button", name="Which regulatory agencies have to evaluate TIL therapies?").click()
    wait_for_replies(page, 2)
    assert "Food and Drug Administration" in last_reply(page)
    assert exchange_in_view(page)


def test_script_in_the_question_is_shown_as_text_and_never_runs(page) -> None:
    question = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    ask(page, question)
    wait_for_replies(page, 1)
    assert question in page.locator('#chat [data-testid="user"]').last.inner_text()
    # Shown as text, the markup made no element that could run: no script, no image, no handler.
    made = page.evaluate(
        """() => document.querySelectorAll('#chat script, #chat img[src="x"], #chat [onerror]').length"""
    )
    assert made == 0
    assert page.dialogs == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-script.png"), full_page=True)


def test_empty_question_gets_a_message_not_an_error(page) -> None:
    ask(page, "   ")
    wait_for_replies(page, 1)
    assert "the question is empty" in last_reply(page)


def test_a_follow_up_is_understood_from_the_conversation(page) -> None:
    ask(page, "Which gene editing technique is Iovance using on its TILs?")
    wait_for_replies(page, 1)  # each test starts from a fresh chat
    assert "understood as" not in last_reply(page)
    ask(page, "who licensed it to them?")
    wait_for_replies(page, 2)
    reply = page.locator('#chat [data-testid="bot"]').last
    understood = reply.locator(".understood").inner_text()
    assert understood.startswith("understood as:") and "TALEN" in understood
    assert "Cellectis" in reply.locator("strong").first.inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-follow-up.png"), full_page=True)
