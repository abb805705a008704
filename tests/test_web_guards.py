"""The chat server's request guards (`tilqa.web.guards`): the body size limit, checked before a
body is read, and the login, which the source view honours as the chat does."""

from __future__ import annotations

import http.client
import json
import shutil
from pathlib import Path

import httpx
import pytest

import tilqa

from helpers import SHIPPED, HashEncoder, marked, serve
from hostile import post_chunked


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
        assert (refused.status_code, refused.text) == (413, "request too large: the limit is 1,000,000 bytes")


def test_a_body_declared_over_the_upload_paths_own_limit_is_refused_unread(small_limits: str) -> None:
    host, port = small_limits.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    connection.putrequest("POST", "/gradio_api/upload")
    connection.putheader("Content-Type", "multipart/form-data; boundary=x")
    connection.putheader("Content-Length", str(12_000_000))  # over 10 files of 1 MB and 1 MB more
    connection.endheaders()  # no body sent: a 413 can only come before reading it
    response = connection.getresponse()
    status, body = response.status, response.read()
    assert status == 413 and body.startswith(b"request too large: the limit is "), body
    connection.close()


def test_one_file_over_the_file_limit_is_refused_by_the_upload_path(small_limits: str) -> None:
    refused = httpx.post(small_limits + "gradio_api/upload", files={"files": ("big.txt", b"w" * 1_200_000)}, timeout=30)
    assert refused.status_code == 413
    assert "maximum allowed size of 1000000 bytes" in refused.text


def test_a_chunked_body_without_content_length_is_held_to_the_limit(small_limits: str) -> None:
    host, port = small_limits.split("//")[1].strip("/").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=60)
    chunks = (b'{"data": ["' + b"x" * 100_000 + b'"]}' for _ in range(40))  # 4 MB, no length declared
    connection.request(
        "POST", "/gradio_api/call/ask", body=chunks, headers={"Content-Type": "application/json"}, encode_chunked=True
    )
    assert connection.getresponse().status == 413
    connection.close()


# Issue 31: hostile requests, each spoken in plain HTTP to a real server on 127.0.0.1.


def _hash_assistant(folder: Path, **settings: object) -> tilqa.Assistant:
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(SHIPPED, corpus)
    chosen = tilqa.Settings.load(corpus_dir=corpus, index_dir=folder / "index", **settings)
    return tilqa.Assistant(settings=chosen, embedder=HashEncoder())


def _port(url: str) -> int:
    return int(url.rstrip("/").rsplit(":", 1)[1])


def _request(url: str, method: str, path: str, headers: dict[str, str], body: bytes | None = None) -> tuple[int, str, dict[str, str]]:
    """One request with exactly these headers (Host included, so it can be forged)."""
    connection = http.client.HTTPConnection("127.0.0.1", _port(url), timeout=30)
    connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    for name, value in headers.items():
        connection.putheader(name, value)
    if body is not None:
        connection.putheader("Content-Length", str(len(body)))
    connection.endheaders(body)
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, text, {k.lower(): v for k, v in response.getheaders()}


ASK = json.dumps({"data": ["What is TIL?", 3]}).encode()


def test_a_chunked_body_is_cut_off_at_the_limit_before_the_login_is_checked(tmp_path: Path) -> None:
    """The probe's 200 MB chunked POST was read whole (0.46 to 3.6 GB) and answered, on an --auth
    server too; now the server stops reading at the limit and answers 413."""
    assistant = _hash_assistant(tmp_path)
    for auth in (None, "ann:s3cret"):
        with serve(assistant, auth=auth) as url:
            status, body, sent = post_chunked(_port(url), "/gradio_api/call/ask", 50_000_000)
            assert status == 413, (status, body[:300])
            assert b"too large" in body and sent < 10_000_000
            # The server still answers (or asks for the login) afterwards.
            expected = 200 if auth is None else 401
            status, _, _ = _request(url, "POST", "/gradio_api/call/ask",
                                    {"Host": f"127.0.0.1:{_port(url)}", "Content-Type": "application/json"}, ASK)
            assert status == expected


def test_a_forged_host_is_refused_so_dns_rebinding_cannot_add_files(tmp_path: Path) -> None:
    """The probe uploaded and added a file with Host and Origin of a rebinding domain."""
    assistant = _hash_assistant(tmp_path)
    with serve(assistant) as url:
        port = _port(url)
        evil = f"rebind.evil.example:{port}"
        for method, path, body in (("GET", "/", None), ("POST", "/gradio_api/call/ask", ASK),
                                   ("POST", "/gradio_api/upload", b"x"), ("GET", "/source?source=iovance-rd-focus.txt", None)):
            status, text, _ = _request(
                url, method, path, {"Host": evil, "Origin": f"http://{evil}", "Content-Type": "application/json"}, body
            )
            assert status == 403 and "TILQA_ALLOWED_HOSTS" in text, (path, status, text[:200])
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
            assert _request(url, "GET", "/", {"Host": host})[0] == 200, host


def test_a_cross_origin_request_cannot_reach_ask_uploads_or_sources(tmp_path: Path) -> None:
    assistant = _hash_assistant(tmp_path)
    with serve(assistant) as url:
        host = f"127.0.0.1:{_port(url)}"
        json_type = {"Host": host, "Content-Type": "application/json"}
        for origin in ("http://evil.example", "null", f"http://127.0.0.1:{_port(url) + 1}", f"https://{host}x"):
            for method, path, body in (("POST", "/gradio_api/call/ask", ASK), ("POST", "/gradio_api/upload", b"x"),
                                       ("GET", "/source?source=iovance-rd-focus.txt", None)):
                status, text, _ = _request(url, method, path, {**json_type, "Origin": origin}, body)
                assert status == 403 and "cross-origin" in text, (origin, path, status)
        status, _, _ = _request(url, "GET", "/source?source=iovance-rd-focus.txt",
                                {"Host": host, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"})
        assert status == 403
        # The page's own requests (same origin) and programs (no Origin) still get answers.
        assert _request(url, "POST", "/gradio_api/call/ask", {**json_type, "Origin": f"http://{host}"}, ASK)[0] == 200
        assert _request(url, "POST", "/gradio_api/call/ask", json_type, ASK)[0] == 200
        # A link to the chat from another site still opens it.
        assert _request(url, "GET", "/", {"Host": host, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate"})[0] == 200


def test_a_host_name_the_user_allows_is_answered(tmp_path: Path) -> None:
    assistant = _hash_assistant(tmp_path, allowed_hosts=("tilqa.lan",))
    with serve(assistant) as url:
        assert _request(url, "GET", "/", {"Host": f"tilqa.lan:{_port(url)}"})[0] == 200
        assert _request(url, "GET", "/", {"Host": f"other.lan:{_port(url)}"})[0] == 403


def test_failed_logins_are_throttled_per_address_and_names_compared_exactly(tmp_path: Path) -> None:
    """The probe made 200 wrong guesses in 0.2 s, and " ann " logged in as ann."""
    assistant = _hash_assistant(tmp_path, login_attempts=3)
    with serve(assistant, auth="ann:s3cret") as url, httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("login", data={"username": " ann ", "password": "s3cret"}).status_code == 400
        assert client.post("login", data={"username": "ann", "password": "s3cret"}).status_code == 200
        for _ in range(3):
            assert client.post("login", data={"username": "ann", "password": "guess"}).status_code == 400
        throttled = client.post("login", data={"username": "ann", "password": "s3cret"})
        assert throttled.status_code == 429 and "too many failed logins" in throttled.text
        assert 1 <= int(throttled.headers["retry-after"]) <= 60


def test_no_file_is_accepted_when_uploads_are_off(tmp_path: Path) -> None:
    """Uploads off (here by the setting; on 0.0.0.0 without --auth likewise): Gradio's upload
    route took anonymous files into its cache, whose clean-up was off in that mode."""
    assistant = _hash_assistant(tmp_path, uploads="off")
    with serve(assistant) as url, httpx.Client(base_url=url, timeout=30) as client:
        refused = client.post("gradio_api/upload", files={"files": ("x.txt", b"some text", "text/plain")})
        assert refused.status_code == 403 and "uploads are off" in refused.text
        config = client.get("config").json()
    chatbot = [c for c in config["components"] if c.get("type") == "chatbot"]
    # Corpus text is shown as text: "$$...$$" in a passage is not typeset as mathematics.
    assert chatbot and chatbot[0]["props"]["latex_delimiters"] == []
