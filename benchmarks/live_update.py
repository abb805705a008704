"""How long a running server takes to answer from a changed corpus.

Starts `tilqa serve --watch` on a free loopback port over a temporary copy of the corpus, then
(1) adds a document and times until the `/ask` API cites it, and (2) edits another document and
runs `tilqa build` from a second process, timing until the server answers from the new text. It
also asks questions throughout and counts any that fail.

    python benchmarks/live_update.py
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import REPO as ROOT, free_port

QUESTION = "What did the zebra protocol do?"
NEW_DOC = "Findings\nThe zebra protocol doubled TIL persistence in mice. It used cytokine priming.\n"
EDIT_QUESTION = "Which animal names the okapi assay?"
EDIT = "\nAssays\nThe okapi assay is named after an animal and measures TIL fitness.\n"


def wait_for(client, question: str, source: str, timeout: float = 120.0) -> float:
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        result = client.predict(question, 3, api_name="/ask")
        if result.get("citations") and result["citations"][0]["source"] == source:
            return time.perf_counter() - started
        time.sleep(0.05)
    raise SystemExit(f"server did not answer from {source} within {timeout:.0f} s")


def start_server(corpus: Path, index: Path, log: Path, watch: bool):
    from gradio_client import Client

    port = free_port()
    argv = [sys.executable, "-m", "tilqa", "serve", "--port", str(port), "--corpus", str(corpus), "--index", str(index)]
    server = subprocess.Popen(argv + (["--watch"] if watch else []), stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while True:
        try:
            return server, url, Client(url, verbose=False)
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit(f"server did not start; see {log}")
            time.sleep(0.5)


class Asker(threading.Thread):
    """Keeps asking a question while the corpus changes; counts answers and failures."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url, self.asked, self.failures, self.stop = url, 0, [], threading.Event()

    def run(self) -> None:
        from gradio_client import Client

        client = Client(self.url, verbose=False)
        while not self.stop.is_set():
            try:
                if "error" in client.predict("Which IL-2 product did Iovance acquire?", 3, api_name="/ask"):
                    self.failures.append("error reply")
                self.asked += 1
            except Exception as exc:  # any failure during a rebuild is the finding
                self.failures.append(repr(exc))


def phase(corpus: Path, index: Path, log: Path, watch: bool, change, question: str, source: str) -> tuple[float, float, Asker]:
    """Start a server, change the corpus with `change()` (which may build), time the answer."""
    server, url, client = start_server(corpus, index, log, watch)
    asker = Asker(url)
    asker.start()
    try:
        started = time.perf_counter()
        change()
        changed = time.perf_counter() - started
        seen = wait_for(client, question, source)
    finally:
        asker.stop.set()
        asker.join()
        server.terminate()
        server.wait(30)
    return changed, seen, asker


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    work = Path(tempfile.mkdtemp(prefix="tilqa-live-"))
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "extra.txt").write_text("Notes\nThis file will be edited during the run.\n", "utf-8")
    build = [sys.executable, "-m", "tilqa", "build", "--corpus", str(corpus), "--index", str(index)]
    subprocess.run(build, check=True, capture_output=True)

    _, watched, a1 = phase(corpus, index, work / "watch.log", True,
                           lambda: (corpus / "new.txt").write_text(NEW_DOC, "utf-8"), QUESTION, "new.txt")

    def edit_and_build() -> None:
        with (corpus / "extra.txt").open("a", encoding="utf-8") as handle:
            handle.write(EDIT)
        subprocess.run(build, check=True, capture_output=True)

    built, seen, a2 = phase(corpus, index, work / "build.log", False, edit_and_build, EDIT_QUESTION, "extra.txt")
    print(f"new file, `serve --watch` (2 s poll, debounced):  answered from it {watched:.1f} s after the write")
    print(f"edited file, `tilqa build` in another process:    build took {built:.1f} s; answered from it {seen:.2f} s later")
    print(f"questions asked meanwhile: {a1.asked + a2.asked}, failed: {len(a1.failures) + len(a2.failures)}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
