"""Wall-clock figures on the real corpus: index build, `tilqa ask` cold start, warm ask latency.

  build cold   `tilqa build` into a fresh, empty index folder (a new process: start-up, model
               load, chunking, embedding, writing), and the same build in process with the model
               already loaded (BuildReport.seconds)
  build warm   the same with nothing changed (the index is checked and left as it is)
  ask cold     `tilqa ask "..." --index <built index>` as a subprocess: what one question costs
               from the command line, model load included
  ask warm     Assistant.ask in one process after a warm-up question: median and p95 over the
               questions of eval/dev.jsonl

    .venv/bin/python benchmarks/timings.py [--corpus DIR] [--questions FILE] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, code_state, log, read_jsonl

TILQA = Path(sys.executable).parent / "tilqa"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def clean_env() -> dict[str, str]:
    """This environment without TILQA_* settings, so every run uses the defaults."""
    return {k: v for k, v in os.environ.items() if not k.startswith("TILQA_")}


def timed_cli(args: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([str(TILQA), *args], capture_output=True, text=True, env=clean_env(), timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"tilqa {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return seconds, done.stdout


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Figures go to stdout, progress to stderr.",
    )
    parser.add_argument("--corpus", type=Path, default=REPO / "corpus", help="corpus folder (default: corpus/)")
    parser.add_argument("--questions", type=Path, default=REPO / "eval" / "dev.jsonl",
                        help="questions for the warm latency, JSON Lines with a 'question' field (default: eval/dev.jsonl)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each cold measurement; the median is reported (default 3)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if not args.corpus.is_dir():
        parser.error(f"corpus folder {args.corpus} not found")
    if not args.questions.is_file():
        parser.error(f"question file {args.questions} not found")
    if not TILQA.is_file():
        parser.error(f"{TILQA} not found; run this with the project's virtualenv Python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    questions = [q["question"] for q in read_jsonl(args.questions)]
    if not questions:
        raise SystemExit(f"{args.questions} holds no questions")
    tmp = Path(tempfile.mkdtemp(prefix="tilqa-bench-timings-"))
    try:
        return run(args, questions, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, questions: list[str], tmp: Path) -> int:
    state = code_state()
    rows: list[tuple[str, list[float], str]] = []
    corpus = str(args.corpus)

    # Command line: every run a new process and, for cold builds, a new empty index folder.
    cold_cli, warm_cli = [], []
    for i in range(args.repeat):
        index = tmp / f"cli-{i}"
        log(f"tilqa build (cold) {i + 1}/{args.repeat}")
        seconds, summary = timed_cli(["build", "--corpus", corpus, "--index", str(index)])
        cold_cli.append(seconds)
        log(f"tilqa build (warm) {i + 1}/{args.repeat}")
        seconds, warm_summary = timed_cli(["build", "--corpus", corpus, "--index", str(index)])
        warm_cli.append(seconds)
    rows.append(("tilqa build, cold (new process, empty index)", cold_cli, summary.strip()))
    rows.append(("tilqa build, warm (new process, nothing changed)", warm_cli, warm_summary.strip()))

    built = tmp / "cli-0"
    ask_cli = []
    for i in range(args.repeat):
        log(f"tilqa ask {i + 1}/{args.repeat}")
        seconds, output = timed_cli(["ask", questions[0], "--corpus", corpus, "--index", str(built)])
        ask_cli.append(seconds)
    first_line = output.strip().splitlines()[0] if output.strip() else ""
    rows.append(("tilqa ask, cold start (new process, built index)", ask_cli, f"{questions[0]!r} -> {first_line[:70]!r}"))

    # In process, model loaded once.
    started = time.perf_counter()
    from tilqa import Assistant, Settings
    from tilqa.encoders.torch import load_model
    from tilqa.index import BUILDS

    import_seconds = time.perf_counter() - started
    load_model(Settings().model)
    model_seconds = time.perf_counter() - started
    rows.append(("import tilqa + load model (in process)", [model_seconds], f"import alone {import_seconds:.2f} s"))

    cold_lib, warm_lib = [], []
    for i in range(args.repeat):
        log(f"Assistant.build (cold) {i + 1}/{args.repeat}")
        assistant = Assistant(settings=Settings(corpus_dir=args.corpus, index_dir=tmp / f"lib-{i}"))
        report = assistant.build(show_progress=False)
        cold_lib.append(report.seconds)
        warm = assistant.build(show_progress=False)
        warm_lib.append(warm.seconds)
    rows.append(("refresh, cold (model loaded; BuildReport.seconds)", cold_lib, report.summary()))
    rows.append(("refresh, warm (nothing changed; BuildReport.seconds)", warm_lib, warm.summary()))

    log(f"Assistant.ask over {len(questions)} questions")
    assistant.ask(questions[0])  # warm-up: first question loads nothing new but settles caches
    latencies = []
    found = 0
    for question in questions:
        started = time.perf_counter()
        answer = assistant.ask(question)
        latencies.append(time.perf_counter() - started)
        found += answer.found

    print(state)
    print(f"corpus {args.corpus} ({report.files} files), "
          f"{report.passages} passages, {report.sentences} sentences; {os.cpu_count()} CPUs; "
          f"{args.repeat} run(s) of each cold measurement")
    build = assistant.index.build_id
    files = sorted((assistant.settings.index_dir / BUILDS / build).iterdir())
    print("index build on disk: " + ", ".join(f"{f.name} {f.stat().st_size / 1024:.0f} KiB" for f in files)
          + f"; total {sum(f.stat().st_size for f in files) / 1024:.0f} KiB")
    print()
    width = max(len(r[0]) for r in rows) + 2
    print(f"{'measurement':<{width}}{'median s':>10}{'min s':>9}{'max s':>9}  runs")
    for label, values, _ in rows:
        print(f"{label:<{width}}{statistics.median(values):>10.3f}{min(values):>9.3f}{max(values):>9.3f}  {len(values)}")
    ms = [s * 1000 for s in latencies]
    print()
    print(f"Assistant.ask warm over {len(ms)} questions ({args.questions.name}; {found} answered, "
          f"{len(ms) - found} declined): median {statistics.median(ms):.1f} ms, p95 {percentile(ms, 95):.1f} ms, "
          f"min {min(ms):.1f} ms, max {max(ms):.1f} ms")
    print()
    for label, _, note in rows:
        print(f"{label}: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
