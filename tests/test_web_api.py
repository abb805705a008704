"""The plain JSON API (`tilqa/web/api.py`): `POST /api/ask`, `GET /api/documents` and the OpenAPI
schema, over plain HTTP on a served chat. The answers are the fast tier's (HashEncoder): what is
checked is the API around them, not which answer a real model gives."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any, Iterator

import pytest

import tilqa

from helpers import serve


def call(url: str, body: Any = None, raw: bytes | None = None) -> tuple[int, dict]:
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def url(hash_assistant: tilqa.Assistant) -> Iterator[str]:
    with serve(hash_assistant) as served:
        yield served


def test_ask_returns_the_answer_as_to_dict_gives_it(url: str, hash_assistant: tilqa.Assistant) -> None:
    status, body = call(url + "api/ask", {"question": "What is TILVANCE-301?", "top_k": 2})
    assert status == 200
    assert body == hash_assistant.ask("What is TILVANCE-301?", 2).to_dict()
    assert len(body["citations"]) == 2


def test_ask_takes_the_conversation_as_history(url: str) -> None:
    _, first = call(url + "api/ask", {"question": "What is TILVANCE-301?"})
    status, follow = call(url + "api/ask", {"question": "when did it start?", "history": [first]})
    assert status == 200 and follow["understood_as"] == "when did TILVANCE-301 start?"
    _, by_question = call(url + "api/ask", {"question": "when did it start?", "history": ["What is TILVANCE-301?"]})
    assert by_question["understood_as"] == follow["understood_as"]


@pytest.mark.parametrize(("body", "message"), [
    ({"question": "  "}, "the question is empty"),
    ({"top_k": 3}, "question: Field required"),
    ({"question": "x", "top_k": 0}, "top_k must be at least 1"),
    ({"question": "x", "history": "What is TILVANCE-301?"}, "history"),
])
def test_a_bad_request_gets_400_and_a_specific_message(url: str, body: dict, message: str) -> None:
    status, reply = call(url + "api/ask", body)
    assert status == 400 and message in reply["error"]


def test_a_body_that_is_not_json_gets_400(url: str) -> None:
    status, reply = call(url + "api/ask", raw=b"{not json")
    assert status == 400 and reply["error"].startswith("bad request")


def test_documents_lists_what_the_index_holds(url: str, hash_assistant: tilqa.Assistant) -> None:
    status, body = call(url + "api/documents")
    assert status == 200 and body["skipped"] == []
    [document] = body["documents"]
    assert document["source"] == "iovance-rd-focus.txt" and document["format"] == "text"
    assert document["passages"] == hash_assistant.document_summary("iovance-rd-focus.txt").passages > 0


def test_the_openapi_schema_describes_both_paths(url: str) -> None:
    status, schema = call(url + "api/openapi.json")
    assert status == 200
    assert set(schema["paths"]) == {"/ask", "/documents"}
    assert "post" in schema["paths"]["/ask"] and "get" in schema["paths"]["/documents"]


def test_with_a_login_the_api_refuses_until_logged_in(hash_assistant: tilqa.Assistant) -> None:
    with serve(hash_assistant, auth="ann:secret") as served:
        status, reply = call(served + "api/ask", {"question": "What is TILVANCE-301?"})
        assert status == 401 and "log in" in reply["error"]
        assert call(served + "api/documents")[0] == 401
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        opener.open(urllib.request.Request(served + "login", data=b"username=ann&password=secret"), timeout=30)
        request = urllib.request.Request(
            served + "api/ask", data=json.dumps({"question": "What is TILVANCE-301?"}).encode(),
            headers={"content-type": "application/json"},
        )
        with opener.open(request, timeout=60) as response:
            assert response.status == 200 and json.loads(response.read())["question"] == "What is TILVANCE-301?"


def gradio_call(url: str, body: dict) -> tuple[int, str]:
    """The documented Gradio `/ask` over plain HTTP, its two steps: POST the data, GET the event's
    stream; the status of the POST and the stream's text (or the POST's error body)."""
    request = urllib.request.Request(
        url + "gradio_api/call/ask", data=json.dumps(body).encode(), headers={"content-type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            event = json.loads(response.read())["event_id"]
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    with urllib.request.urlopen(f"{url}gradio_api/call/ask/{event}", timeout=60) as response:
        return 200, response.read().decode()


def completed(stream: str) -> Any:
    lines = stream.splitlines()
    assert "event: complete" in lines, stream
    return json.loads(lines[lines.index("event: complete") + 1].removeprefix("data: "))[0]


def test_the_gradio_ask_endpoint_over_plain_http_takes_the_question_alone(
    url: str, hash_assistant: tilqa.Assistant
) -> None:
    status, stream = gradio_call(url, {"data": ["What is TILVANCE-301?"]})
    assert status == 200
    assert completed(stream) == hash_assistant.ask("What is TILVANCE-301?").to_dict()
    _, with_k = gradio_call(url, {"data": ["What is TILVANCE-301?", 1]})
    assert len(completed(with_k)["citations"]) == 1
    _, follow = gradio_call(url, {"data": ["when did it start?", None, ["What is TILVANCE-301?"]]})
    assert completed(follow)["understood_as"] == "when did TILVANCE-301 start?"
