"""The chat server's request guards (`tilqa.web.guards`): the body size limit, checked before a
body is read, and the login, which the source view honours as the chat does."""

from __future__ import annotations

import http.client
import shutil
from pathlib import Path

import httpx
import pytest

import tilqa

from helpers import SHIPPED, HashEncoder, marked, serve


@pytest.mark.model
def test_oversized_request_is_refused_before_its_body_is_read(server_url: str) -> None:
    host, port = server_url.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/gradio_api/call/ask")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(5_000_000))
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


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
