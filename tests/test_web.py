"""The web chat's server and API, over real HTTP, on the real model.

Gradio is imported inside the tests: importing it takes seconds, which collecting the fast tier
(`pytest -m "not model"`) should not pay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tilqa import SettingsError
from tilqa.results import Answer, Citation

from helpers import free_port

if TYPE_CHECKING:
    from gradio_client import Client

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def client(server_url: str) -> Client:
    from gradio_client import Client

    return Client(server_url, verbose=False)


def test_api_answers_with_citations(client: Client) -> None:
    result = client.predict("Which IL-2 product did Iovance acquire?", 3, api_name="/ask")
    assert result["found"] and "Proleukin" in result["answer"]
    assert result["citations"][0]["source"] == "iovance-rd-focus.txt"


def test_bad_question_gets_a_message_and_the_server_keeps_serving(client: Client) -> None:
    assert client.predict("   ", 3, api_name="/ask") == {
        "error": "the question is empty: type a question about the corpus"
    }
    assert client.predict("x", 0, api_name="/ask") == {"error": "top_k must be at least 1 (got 0)"}
    assert client.predict("What is lifileucel?", 3, api_name="/ask")["citations"]


def test_html_in_the_question_is_text_in_the_api_and_escaped_in_the_page(client: Client) -> None:
    """The API's JSON carries the question as text (neither run nor entity-encoded twice); the page
    shows a user's message through `as_text`, which escapes every tag (in Chromium:
    test_browser.py's script test)."""
    from tilqa.web import as_text

    question = "<script>alert(1)</script><b onmouseover=\"x()\">bold</b>"
    result = client.predict(question, 3, api_name="/ask")
    assert result["question"] == question
    assert as_text(result["question"]) == (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b onmouseover=&quot;x()&quot;&gt;bold&lt;/b&gt;"
    )


def test_example_questions_are_answered_but_the_last_which_shows_abstention(assistant) -> None:
    """The page says the last example is one the corpus does not answer; the rest must answer."""
    examples = assistant.settings.chat_examples
    answers = [assistant.ask(q) for q in examples]
    assert [a.found for a in answers] == [True] * (len(examples) - 1) + [False]


def test_rendered_reply_escapes_corpus_and_highlights_the_answer() -> None:
    from tilqa.web import render_answer

    text = "Intro <b>bold</b>. The answer is here."
    citation = Citation(source="a.txt", start=0, end=len(text), text=text, section="Sec <i>", score=1.0,
                        answer_start=text.index("The"), answer_end=len(text))
    answer = Answer(question="q", answer="The answer is here.", found=True, confidence=0.9, citations=[citation])
    html = render_answer(answer)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html and "Sec &lt;i&gt;" in html
    assert "<mark>The answer is here.</mark>" in html
    passage = Citation(source="a.txt", start=0, end=len(text), text=text, section="", score=0.5)
    declined = render_answer(Answer(question="q", answer="", found=False, confidence=0.1, citations=[passage]))
    assert "Not found in the corpus" in declined and "<mark>" not in declined


def test_auth_must_be_user_colon_password() -> None:
    from tilqa.web import parse_auth

    assert parse_auth("ann:secret") == ("ann", "secret")
    assert parse_auth("") is None
    for bad in ("ann", ":pw", "ann:"):
        with pytest.raises(SettingsError, match="USER:PASSWORD"):
            parse_auth(bad)


def test_login_is_required_when_auth_is_set(assistant) -> None:
    from gradio_client import Client
    from gradio_client.exceptions import AuthenticationError

    from tilqa.web import launch

    port = free_port()
    demo = launch(assistant, port=port, auth="ann:s3cret", block=False)
    url = f"http://127.0.0.1:{port}/"
    try:
        with pytest.raises(AuthenticationError, match="credentials were not provided"):
            Client(url, verbose=False)
        result = Client(url, auth=("ann", "s3cret"), verbose=False).predict("What is lifileucel?", 1, api_name="/ask")
        assert len(result["citations"]) == 1
    finally:
        demo.close()
