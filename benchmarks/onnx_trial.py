"""Is ONNX Runtime worth it? The torch Embedder against OnnxEmbedder (fp32 and int8), one table.

For each encoder: batched throughput over every sentence of the corpus (texts/s, median of the
rounds, encoders taking turns so a drift of the machine's speed hits all alike), single-sentence
latency (median ms over 50 sentences), cosine to the torch vectors (mean and worst), and a new
process's cold start to its first vector (median wall seconds of `python -c` runs that import and
encode one sentence; ONNX from an existing export) with its CPU seconds and peak memory.

On a machine busy with other work, wall figures of the torch encoder suffer most: its two
OpenMP threads wait on each other (seen at 7x slower per sentence under a load of 10 on 2 cores);
compare the cold-start CPU seconds then, and rerun when the machine is quiet.

The exports are made first if missing (in the cache folder given, default ~/.cache/tilqa/onnx).

    python benchmarks/onnx_trial.py [--rounds 3] [--cold-runs 5] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, code_state, log  # noqa: E402

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing is downloaded: the model ships in a package


def corpus_sentences(corpus_dir: Path) -> list[str]:
    """Every sentence of the corpus's text files, line by line, as tilqa's chunker splits them."""
    from tilqa.chunking import sentence_spans

    sentences = []
    for path in sorted(corpus_dir.glob("*.txt")):
        for line in path.read_text("utf-8").splitlines():
            sentences += [line[a:b].strip() for a, b in sentence_spans(line) if line[a:b].strip()]
    return sentences


def encoders(model: str, cache_dir: Path) -> dict:
    from tilqa.encoders import Embedder
    from tilqa.encoders import OnnxEmbedder

    return {
        "torch": Embedder(model),
        "onnx fp32": OnnxEmbedder(model, cache_dir=cache_dir),
        "onnx int8": OnnxEmbedder(model, cache_dir=cache_dir, quantize=True),
    }


def cold_start_code(label: str, model: str, cache_dir: Path) -> str:
    """A program that imports an encoder, embeds one sentence and prints its peak memory (MiB)."""
    if label == "torch":
        make = f"from tilqa.encoders import Embedder; e = Embedder({model!r})"
    else:
        make = (
            "from tilqa.encoders import OnnxEmbedder; "
            f"e = OnnxEmbedder({model!r}, cache_dir={str(cache_dir)!r}, quantize={label == 'onnx int8'})"
        )
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the (large) parent across exec
    return (
        f"{make}; "
        "e.encode(['Lifileucel is a tumor-derived T cell therapy.'], show_progress=False); "
        "import re; status = open('/proc/self/status').read(); "
        "print(int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) / 1024)"
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cold_start(code: str, runs: int) -> tuple[float, float, float]:
    """Medians over new processes running `python -c code`: wall seconds from spawn to exit, CPU
    seconds (steadier than wall on a busy machine), and peak MiB."""
    seconds, cpu, peaks = [], [], []
    for _ in range(runs + 1):  # the first run only warms the page cache
        start, start_cpu = time.perf_counter(), _children_cpu()
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600
        )
        seconds.append(time.perf_counter() - start)
        cpu.append(_children_cpu() - start_cpu)
        if done.returncode != 0:
            raise RuntimeError(f"cold-start run failed:\n{done.stderr[-2000:]}")
        peaks.append(float(done.stdout.split()[-1]))
    return statistics.median(seconds[1:]), statistics.median(cpu[1:]), statistics.median(peaks[1:])


def main(argv: list[str] | None = None) -> None:
    from tilqa.config import DEFAULT_MODEL, default_onnx_cache_dir

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--corpus-dir", type=Path, default=REPO / "corpus")
    parser.add_argument("--cache-dir", type=Path, default=default_onnx_cache_dir())
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the corpus per encoder")
    parser.add_argument("--latency-runs", type=int, default=50)
    parser.add_argument("--cold-runs", type=int, default=5)
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    sentences = corpus_sentences(args.corpus_dir)
    log(f"{len(sentences)} sentences; preparing encoders (exports made once if missing)")
    chosen = encoders(args.model, args.cache_dir)
    for encoder in chosen.values():
        encoder.encode(sentences[:40], show_progress=False)  # load, export if needed, warm up

    vectors: dict[str, np.ndarray] = {}
    passes: dict[str, list[float]] = {label: [] for label in chosen}
    for round_ in range(args.rounds):
        for label, encoder in chosen.items():
            log(f"round {round_ + 1}/{args.rounds}: {label}")
            start = time.perf_counter()
            vectors[label] = encoder.encode(sentences, show_progress=False)
            passes[label].append(time.perf_counter() - start)

    latency: dict[str, list[float]] = {label: [] for label in chosen}
    for sentence in (sentences * (1 + args.latency_runs // len(sentences)))[: args.latency_runs]:
        for label, encoder in chosen.items():
            start = time.perf_counter()
            encoder.encode([sentence], show_progress=False)
            latency[label].append((time.perf_counter() - start) * 1000)

    cold = {}
    for label in chosen:
        log(f"cold starts: {label}")
        cold[label] = cold_start(cold_start_code(label, args.model, args.cache_dir), args.cold_runs)

    versions = ", ".join(f"{p} {metadata.version(p)}" for p in ("torch", "onnxruntime", "tokenizers", "numpy"))
    print(f"{code_state()}; {versions}; model {args.model}")
    print(f"{os.cpu_count()} cores; load average (1 min) {load_before:.1f} before, {os.getloadavg()[0]:.1f} after")
    print(
        f"{len(sentences)} corpus sentences, batch 32, {args.rounds} rounds; latency over {args.latency_runs} "
        f"single sentences; cold start: median of {args.cold_runs} new processes"
    )
    print(
        f"{'encoder':<11}{'texts/s':>9}{'latency ms':>12}{'cos mean':>10}{'cos worst':>11}"
        f"{'cold start s':>14}{'cold cpu s':>12}{'peak MiB':>10}"
    )
    reference = vectors["torch"]
    for label in chosen:
        cosines = (vectors[label] * reference).sum(axis=1)
        rate = len(sentences) / statistics.median(passes[label])
        seconds, cpu, peak = cold[label]
        print(
            f"{label:<11}{rate:>9.0f}{statistics.median(latency[label]):>12.1f}{cosines.mean():>10.5f}"
            f"{cosines.min():>11.5f}{seconds:>14.2f}{cpu:>12.2f}{peak:>10.0f}"
        )


if __name__ == "__main__":
    main()
