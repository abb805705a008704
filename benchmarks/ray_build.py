"""Texts embedded per second: on this machine (`Embedder`), and with `RayEncoder` on a Ray cluster
of one node and of two nodes started here (one CPU each, loopback), over the same texts.

The texts are the sentences of the first N abstracts of BEIR SciFact (SciFact's own sentence
split), embedded with token vectors as a build embeds sentences. Each time is the wall time of one
`encode_with_tokens` call, start-up included: the model load for the local run; the actor pool's
start and a model load on every actor for the Ray runs (each call starts its own pool). The cluster
is started and stopped by the script and its start is not timed. Every run's vectors are checked
against the local ones.

    .venv/bin/python benchmarks/ray_build.py [--abstracts 300] [--data ../shared/bench/scifact]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

from common import REPO, code_state, log

DEFAULT_DATA = REPO.parent / "shared" / "bench" / "scifact"


def scifact_sentences(data: Path, abstracts: int) -> list[str]:
    """The sentences of the first `abstracts` SciFact abstracts, in corpus order."""
    texts: dict[str, str] = {}
    with (data / "corpus.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            texts[record["_id"]] = record["text"]
            if len(texts) == abstracts:
                break
    sentences: list[str] = []
    with (data / "sentence_spans.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["_id"] in texts:
                text = texts[record["_id"]]
                sentences += [text[a:b] for a, b in record["spans"] if text[a:b].strip()]
    return sentences


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abstracts", type=int, default=300, help="SciFact abstracts whose sentences to embed")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the BEIR SciFact folder")
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from tilqa.config import DEFAULT_MODEL
    from tilqa.encoders import Embedder
    from tilqa.encoders import RayEncoder
    from tilqa.testing import LocalCluster

    texts = scifact_sentences(args.data, args.abstracts)
    log(f"{len(texts)} sentences of {args.abstracts} SciFact abstracts")
    rows = []

    log("local: Embedder in this process")
    started = time.perf_counter()
    expected, _ = Embedder(DEFAULT_MODEL, args.batch_size).encode_with_tokens(texts, show_progress=False)
    import torch

    rows.append(("local (Embedder, this process)", f"1 process, {torch.get_num_threads()} torch threads",
                 time.perf_counter() - started, 0.0))

    for nodes in (1, 2):
        log(f"ray: starting a {nodes}-node cluster")
        with LocalCluster(nodes=nodes, cpus_per_node=1) as cluster:
            with RayEncoder(DEFAULT_MODEL, cluster.address, batch_size=args.batch_size) as encoder:
                encoder.connect()
                log(f"ray: embedding on {nodes} node(s)")
                started = time.perf_counter()
                vectors, _ = encoder.encode_with_tokens(texts, show_progress=None)
                seconds = time.perf_counter() - started
        rows.append((f"RayEncoder, {nodes} node{'s' if nodes > 1 else ''}", f"{nodes} × 1 CPU (an actor of 1 thread each)",
                     seconds, float(np.abs(vectors - expected).max())))

    print(f"{code_state()}; {len(texts)} texts (sentences of {args.abstracts} SciFact abstracts), "
          f"batch size {args.batch_size}, {os.cpu_count()} cores; load average at the end "
          f"{os.getloadavg()[0]:.1f}\n")
    print("| run | workers | seconds | texts/s | max abs difference from local |")
    print("| --- | --- | --- | --- | --- |")
    for name, workers, seconds, difference in rows:
        print(f"| {name} | {workers} | {seconds:.1f} | {len(texts) / seconds:.1f} | {difference:.1e} |")


if __name__ == "__main__":
    main()
