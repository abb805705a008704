"""Hostile input for the security tests (issue 31), made by the tests themselves: archive bombs,
chunked request bodies of any size, and a chat server in its own process whose memory is read
from /proc (`from hostile import ...`)."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import sys
import time
import zipfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx

from helpers import free_port

TESTS = Path(__file__).resolve().parent
_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _docx_with_body(path: Path, body_chunks: Iterator[bytes]) -> Path:
    """A .docx package (made with python-docx) whose document.xml body is `body_chunks`, streamed
    into the zip so nothing large is ever held in memory."""
    import docx

    template = path.with_name(path.stem + "-template.docx")
    document = docx.Document()
    document.add_paragraph("A real paragraph before the filler.")
    document.save(str(template))
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item.filename))
                continue
            info = zipfile.ZipInfo("word/document.xml", date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as xml:
                xml.write(f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document {_W}><w:body>'.encode())
                xml.write(b"<w:p><w:r><w:t>A real paragraph before the filler.</w:t></w:r></w:p>")
                for chunk in body_chunks:
                    xml.write(chunk)
                xml.write(b"</w:body></w:document>")
    template.unlink()
    return path


def docx_bomb(path: Path, inflated_bytes: int) -> Path:
    """A .docx whose document.xml inflates to about `inflated_bytes` of empty paragraphs: a few
    hundred kilobytes on disk (as the issue's bombs: 147 KB for 100 MB)."""
    block = b"<w:p/>" * 100_000
    return _docx_with_body(path, (block for _ in range(max(1, inflated_bytes // len(block)))))


def docx_of_many_paragraphs(path: Path, paragraphs: int, words: int = 4) -> Path:
    """A .docx of `paragraphs` numbered paragraphs of `words` pseudo-random words more: no archive
    bomb (it inflates a few times, as ordinary Word XML does), but costly to parse when large."""
    import random

    rng = random.Random(31)
    vocabulary = [("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 10)))).encode()
                  for _ in range(5000)]

    def chunks() -> Iterator[bytes]:
        for start in range(0, paragraphs, 10_000):
            yield b"".join(
                b"<w:p><w:r><w:t>Paragraph %d of the filler %s.</w:t></w:r></w:p>"
                % (n, b" ".join(rng.choice(vocabulary) for _ in range(words)))
                for n in range(start, min(start + 10_000, paragraphs))
            )

    return _docx_with_body(path, chunks())


def post_chunked(port: int, path: str, total: int, headers: dict[str, str] | None = None) -> tuple[int, bytes, int]:
    """POST `total` bytes to 127.0.0.1:`port` with chunked framing (no Content-Length), stopping
    as soon as the server answers: (status, response body, bytes sent)."""
    request = [f"POST {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Content-Type: application/json",
               "Transfer-Encoding: chunked", "Connection: close"]
    request += [f"{k}: {v}" for k, v in (headers or {}).items()]
    chunk = b'{"data": ["' + b"a" * 65_000 + b'"]}'
    sent = 0
    response = b""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(("\r\n".join(request) + "\r\n\r\n").encode())
        try:
            while sent < total:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
                readable, _, _ = select.select([s], [], [], 0)
                if readable:
                    break
            else:
                s.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                response += data
                if b"\r\n\r\n" in response and len(response) > 200_000:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
    status = int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/") else 0
    return status, response.partition(b"\r\n\r\n")[2], sent


def memory_kb(pid: int, field: str = "VmHWM") -> int:
    """A process's memory from /proc/PID/status, in kB: VmHWM is its peak resident size."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def children(pid: int) -> list[int]:
    """The processes `pid` started (the extraction worker, for a server)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


_SERVE = """
import logging, sys
sys.path.insert(0, sys.argv[1])
logging.basicConfig(level=logging.INFO)
import tilqa
from helpers import HashEncoder
from tilqa.web import launch
assistant = tilqa.Assistant(corpus_dir=sys.argv[2], index_dir=sys.argv[3], embedder=HashEncoder())
launch(assistant, host="127.0.0.1", port=int(sys.argv[4]), auth=sys.argv[5] or None)
"""


@contextmanager
def server_process(corpus: Path, index: Path, auth: str = "", env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """The chat (with `HashEncoder`) served by `tilqa.web.launch` in a process of its own on a free
    loopback port, so its memory can be read; stopped afterwards. Yields (url, process)."""
    port = free_port()
    log = open(index.parent / f"server-{port}.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-c", _SERVE, str(TESTS), str(corpus), str(index), str(port), auth],
        stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            if process.poll() is not None:
                raise RuntimeError("the server stopped: " + (index.parent / f"server-{port}.log").read_text()[-3000:])
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 180 s")
            time.sleep(0.5)
        yield url, process
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
