"""The chat under hostile uploads and bodies (issue 31): `tilqa serve` (the real model) in its own
process on a copy of the shipped corpus, then, one case after another, archive bombs, a Word file
that is no bomb but slow to parse, a 49.9 MB text file, and a 200 MB chunked body. While each case runs, a
client keeps asking questions. Prints, per case, what the server said, the server's peak resident
memory (VmHWM, from /proc) and the extraction worker's, and how questions were answered meanwhile.

    python benchmarks/hostile_uploads.py
"""

from __future__ import annotations

import argparse
import os
import select
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx
from gradio_client import Client, handle_file

from common import REPO, code_state, free_port, log

_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx(path: Path, chunks) -> Path:
    """A .docx (python-docx's template) whose document.xml body is streamed from `chunks`."""
    import docx as python_docx

    template = path.with_suffix(".template.docx")
    python_docx.Document().save(str(template))
    with zipfile.ZipFile(template) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            if item.filename != "word/document.xml":
                out.writestr(item, source.read(item.filename))
                continue
            info = zipfile.ZipInfo("word/document.xml", date_time=item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as xml:
                xml.write(f'<?xml version="1.0" encoding="UTF-8"?><w:document {_W}><w:body>'.encode())
                for chunk in chunks:
                    xml.write(chunk)
                xml.write(b"</w:body></w:document>")
    template.unlink()
    return path


def bomb(path: Path, inflated: int) -> Path:
    block = b"<w:p/>" * 100_000
    return docx(path, (block for _ in range(inflated // len(block))))


def heavy(path: Path, paragraphs: int) -> Path:
    return docx(path, (
        b"".join(b"<w:p><w:r><w:t>Paragraph %d, %x.</w:t></w:r></w:p>" % (n, n * 2654435761 % 2**32)
                 for n in range(start, start + 10_000))
        for start in range(0, paragraphs, 10_000)
    ))


def long_text(path: Path, size: int) -> Path:
    """A text file of `size` bytes of sentences, under the 50 MB upload limit."""
    sentence = "The expansion of tumor-infiltrating lymphocytes runs for three weeks. "
    with path.open("w", encoding="utf-8") as out:
        for _ in range(size // len(sentence)):
            out.write(sentence)
    return path


def status(pid: int, field: str) -> int:
    """kB of a /proc/PID/status field (VmHWM: peak resident, VmRSS: resident now)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def worker_peak(pid: int) -> int:
    """The largest peak resident size among the server's child processes (the extraction worker)."""
    peaks = [0]
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            peaks += [status(int(child), "VmHWM") for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return max(peaks)


def chunked_post(port: int, total: int) -> str:
    """POST `total` bytes chunked to /gradio_api/call/ask; what the server answered and when."""
    chunk = b"a" * 65_000
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(f"POST /gradio_api/call/ask HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n".encode())
        try:
            while sent < total and not select.select([s], [], [], 0)[0]:
                s.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                sent += len(chunk)
        except OSError:
            pass
        reply = s.recv(4096).split(b"\r\n", 1)[0].decode()
    return f"{reply} after {sent / 1e6:.1f} MB sent of {total / 1e6:.0f} MB"


class Sampler(threading.Thread):
    """Reads the worker's peak every 0.1 s (a worker past its budget is killed, its peak with it)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, worker_peak(self.pid))
            time.sleep(0.1)


class Asker(threading.Thread):
    """Asks a question again and again, recording each latency, until stopped."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.client = Client(url, verbose=False)
        self.latencies: list[float] = []
        self.errors = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                answer = self.client.predict("What is lifileucel designed for?", 3, api_name="/ask")
                assert "citations" in answer
                self.latencies.append(time.monotonic() - started)
            except Exception:  # noqa: BLE001 - counted
                self.errors += 1


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    work = Path(tempfile.mkdtemp(prefix="tilqa-hostile-"))
    corpus = work / "corpus"
    corpus.mkdir()
    shutil.copy(REPO / "corpus" / "iovance-rd-focus.txt", corpus)
    log("making the files…")
    files = {
        "bomb-1.1GB": [bomb(work / "bomb-big.docx", 1_100_000_000)],
        "5 bombs of 100 MB at once": [bomb(work / f"bomb{n}.docx", 100_000_000) for n in range(5)],
        "no bomb, 27 MB of XML": [heavy(work / "heavy.docx", 400_000)],
        "a 49.9 MB text file": [long_text(work / "long.txt", 49_900_000)],
    }
    folders = ["--corpus", str(corpus), "--index", str(work / "index")]
    log("building the index (its own process, as `tilqa build` before serving)…")
    subprocess.run([sys.executable, "-m", "tilqa", "build", *folders], check=True, capture_output=True)
    port = free_port()
    tilqa = [sys.executable, "-m", "tilqa", "serve", "--port", str(port), *folders]
    server = subprocess.Popen(tilqa, stdout=subprocess.DEVNULL, stderr=open(work / "server.log", "wb"), env=dict(os.environ))
    url = f"http://127.0.0.1:{port}/"
    try:
        log("starting the server…")
        while True:
            try:
                if httpx.get(url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
            if server.poll() is not None:
                raise SystemExit((work / "server.log").read_text()[-2000:])
        print(code_state())
        print(f"server started (index built before): resident {status(server.pid, 'VmRSS') / 1e3:.0f} MB, peak {status(server.pid, 'VmHWM') / 1e3:.0f} MB")
        print(f"{'case':<28} {'seconds':>7} {'server peak MB':>14} {'worker peak MB':>14} {'asked':>5} {'p50 s':>6} {'max s':>6}  outcome")
        cases = [(name, paths) for name, paths in files.items()] + [("200 MB chunked body", None)]
        for name, paths in cases:
            asker, sampler = Asker(url), Sampler(server.pid)
            asker.start()
            sampler.start()
            started = time.monotonic()
            if paths is None:
                outcome = chunked_post(port, 200_000_000)
            else:
                client = Client(url, verbose=False)
                jobs = [client.submit([handle_file(p)], api_name="/add") for p in paths]
                results = [job.result(timeout=900) for job in jobs]
                reasons = {r["reason"].split("cannot be read: ", 1)[-1] for result in results for r in result["refused"]}
                added = sum(len(result["added"]) for result in results)
                outcome = f"{added} added; refused: " + " | ".join(sorted(reasons))
            seconds = time.monotonic() - started
            asker.stop.set()
            sampler.stop.set()
            asker.join(120)
            lat = asker.latencies or [float("nan")]
            print(f"{name:<28} {seconds:>7.1f} {status(server.pid, 'VmHWM') / 1e3:>14.0f} {sampler.peak / 1e3:>14.0f} "
                  f"{len(asker.latencies):>5} {statistics.median(lat):>6.2f} {max(lat):>6.2f}  {outcome}"
                  + (f" ({asker.errors} question errors)" if asker.errors else ""))
        left = sorted(p.name for p in corpus.iterdir())
        print(f"corpus afterwards: {', '.join(left)}")
    finally:
        server.terminate()
        server.wait(60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
