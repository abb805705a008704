"""Load test of the web chat's API: concurrent clients against a real server on 127.0.0.1.

Starts `tilqa serve` as a subprocess on a free loopback port (index built beforehand), asks every
question once in process to get the reference answers, then sends `--requests` questions from
`--clients` concurrent gradio_client clients to the `/ask` endpoint, mixing answerable,
unanswerable and bad questions. Prints requests, errors, answers that differ from the in-process
ones, latency percentiles, throughput and the server's peak memory (VmHWM).

    python benchmarks/load_test.py --requests 1000 --clients 16
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import tilqa
from common import REPO as ROOT, free_port, read_jsonl


BAD_QUESTIONS = [
    "",
    "   \n\t",
    "\x00\x00 NUL bytes \x07",
    "What is TIL? " * 9000,  # over 100,000 characters
    "<script>alert(1)</script>",
    "**bold** and [a link](http://example.com)",
    "🧬🧫💉❓",
    "Quel produit IL-2 Iovance a-t-il acquis ?",
]


def reference(assistant: tilqa.Assistant, question: str, top_k: int) -> dict:
    """What the API should return: Answer.to_dict(), or the error message of a bad question."""
    try:
        return assistant.ask(question, top_k).to_dict()
    except tilqa.TilqaError as exc:
        return {"error": str(exc)}


def same(a: dict, b: dict) -> bool:
    if "error" in a or "error" in b:
        return a.get("error") == b.get("error")
    spans = lambda d: [(c["source"], c["start"], c["end"], c["answer_start"]) for c in d["citations"]]
    return (
        a["answer"] == b["answer"] and a["found"] == b["found"] and spans(a) == spans(b)
        and abs(a["confidence"] - b["confidence"]) < 1e-6
    )


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    args = parser.parse_args()

    from gradio_client import Client

    questions = [q["question"] for q in read_jsonl(ROOT / "eval" / "dev.jsonl")]
    questions += BAD_QUESTIONS
    workdir = Path(tempfile.mkdtemp(prefix="tilqa-load-"))
    index_dir = workdir / "index"
    assistant = tilqa.Assistant(corpus_dir=ROOT / "corpus", index_dir=index_dir)
    assistant.build()
    expected = {q: reference(assistant, q, args.top_k) for q in questions}

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tilqa", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--corpus", str(ROOT / "corpus"), "--index", str(index_dir)],
        stdout=subprocess.DEVNULL, stderr=open(workdir / "server.log", "w"),
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                Client(url, verbose=False)
                break
            except Exception:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"server did not start; see {workdir / 'server.log'}")
                time.sleep(0.5)

        latencies: list[float] = []
        errors: list[str] = []
        wrong: list[str] = []
        lock = threading.Lock()
        counter = iter(range(args.requests))
        stop_at = time.monotonic() + args.timeout

        def client_loop() -> None:
            client = Client(url, verbose=False)
            while time.monotonic() < stop_at:
                with lock:
                    n = next(counter, None)
                if n is None:
                    return
                question = questions[n % len(questions)]
                started = time.perf_counter()
                try:
                    result = client.predict(question, args.top_k, api_name="/ask")
                except Exception as exc:  # any failure is a finding: count it, go on
                    with lock:
                        errors.append(f"{type(exc).__name__}: {exc}"[:200])
                    continue
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if not same(result, expected[question]):
                        wrong.append(question[:80])

        began = time.perf_counter()
        threads = [threading.Thread(target=client_loop) for _ in range(args.clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - began
        peak = peak_rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(30)

    done = len(latencies) + len(errors)
    ms = sorted(x * 1000 for x in latencies)
    pct = lambda p: ms[min(len(ms) - 1, int(p / 100 * len(ms)))] if ms else float("nan")
    print(f"server            http://127.0.0.1:{port}/ (tilqa serve, {os.cpu_count()} cores)")
    print(f"questions         {len(questions)} distinct ({len(BAD_QUESTIONS)} bad), top_k={args.top_k}")
    print(f"requests          {done} from {args.clients} concurrent clients")
    print(f"errors            {len(errors)}")
    print(f"wrong answers     {len(wrong)} (differ from the same question asked in process)")
    print(f"latency ms        p50 {pct(50):.1f}  p95 {pct(95):.1f}  p99 {pct(99):.1f}  max {ms[-1] if ms else float('nan'):.1f}")
    print(f"throughput        {done / wall:.1f} requests/s over {wall:.1f} s")
    print(f"server peak RSS   {peak:.0f} MiB")
    for line in sorted(set(errors))[:5]:
        print(f"  error: {line}")
    for line in sorted(set(wrong))[:5]:
        print(f"  wrong: {line!r}")
    sys.exit(1 if errors or wrong else 0)


if __name__ == "__main__":
    main()
