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


# -- the body limit on a served chat (HashEncoder; uploads on, at most 1 MB a file) -------------


@pytest.fixture(scope="module")
def small_limits(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("limits")
    corpus = folder / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    settings = tilqa.Settings.load(environ={}, corpus_dir=corpus, index_dir=folder / "index", max_upload_mb=1)
    with serve(tilqa.Assistant(settings=settings, embedder=HashEncoder())) as url:
        yield url


def three_files() -> list[tuple[str, tuple[str, bytes]]]:
    """A multipart body of 2.7 MB: three files each under the 1 MB file limit."""
    return [("files", (f"part-{n}.txt", b"w" * 900_000)) for n in range(3)]


def test_the_upload_path_takes_bodies_of_several_files_other_paths_do_not(small_limits: str) -> None:
    """Gradio's upload path may carry several files of the largest size; every other path is held
    to the ordinary 1 MB, before its body is read."""
    with httpx.Client(base_url=small_limits, timeout=30) as client:
        accepted = client.post("gradio_api/upload", files=three_files())
        assert accepted.status_code == 200 and len(accepted.json()) == 3
        refused = client.post("gradio_api/call/ask", files=three_files())
        assert (refused.status_code, refused.text) == (413, "request too large")


def test_a_body_declared_over_the_upload_paths_own_limit_is_refused_unread(small_limits: str) -> None:
    host, port = small_limits.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/gradio_api/upload")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(12_000_000))  # over 10 files of 1 MB and 1 MB more
    connection.endheaders()  # no body sent: a 413 can only come before reading it
    response = connection.getresponse()
    assert (response.status, response.read()) == (413, b"request too large")
    connection.close()


def test_one_file_over_the_file_limit_is_refused_by_the_upload_path(small_limits: str) -> None:
    refused = httpx.post(small_limits + "gradio_api/upload", files={"files": ("big.txt", b"w" * 1_200_000)}, timeout=30)
    assert refused.status_code == 413
    assert "maximum allowed size of 1000000 bytes" in refused.text


@pytest.mark.xfail(
    strict=True,
    reason="BodyLimit checks only a declared Content-Length: a chunked body is read whole (issue 31 "
    "bounds it); strict, so this fails once that lands and the marker must go",
)
def test_a_chunked_body_without_content_length_is_held_to_the_limit(small_limits: str) -> None:
    host, port = small_limits.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    chunks = (b'{"data": ["' + b"x" * 100_000 + b'"]}' for _ in range(40))  # 4 MB, no length declared
    connection.request(
        "POST", "/gradio_api/call/ask", body=chunks, headers={"Content-Type": "application/json"}, encode_chunked=True
    )
    assert connection.getresponse().status == 413
    connection.close()
