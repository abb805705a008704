"""Compact token vectors (product-quantization codes) against float16, on the question sets.

The shipped corpus holds fewer token vectors (3,299) than tilqa trains a codebook on
(`tilqa.token_codec.MIN_TRAINING_TOKENS`), so its index keeps float16 vectors and its answers are
exactly as before. To measure what codes cost in answers, this script builds the corpus twice,
once as shipped and once with the training minimum lowered so that its token vectors are coded,
and asks each question file of both. It prints one table: accuracy, evidence recall, unanswerable
declined, answerable wrongly declined, and the bytes a sentence of the token files take.
(`benchmarks/squad.py` measures a corpus large enough to be coded as shipped.)

    .venv/bin/python benchmarks/token_compression.py [eval/dev.jsonl eval/blind-a.jsonl ...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from common import REPO, code_state, log

import tilqa
import tilqa.token_codec
from tilqa.evaluation import evaluate, load_questions
from tilqa.index import live_build_dir


def token_bytes_a_sentence(assistant: tilqa.Assistant) -> tuple[float, int]:
    """Bytes of the token files over the number of sentences (the codebook, a fixed size for
    any corpus, left out), and the codebook's bytes."""
    build = live_build_dir(assistant.settings.index_dir)
    assert build is not None
    codebook = build / "token_codebook.npy"
    files = [*build.glob("token_*.npy"), *build.glob("tokens/*.npy")]
    size = sum(f.stat().st_size for f in files if f != codebook)
    return size / len(assistant.index.sentences), codebook.stat().st_size if codebook.exists() else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default = [REPO / "eval" / f"{name}.jsonl" for name in ("dev", "blind-a", "blind-b")]
    parser.add_argument("files", type=Path, nargs="*", default=default)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="tilqa-codes-") as tmp:
        for label, minimum in (("float16 (as shipped)", None), ("codes (minimum lowered)", 1024)):
            if minimum is not None:
                tilqa.token_codec.MIN_TRAINING_TOKENS = minimum
            assistant = tilqa.Assistant(index_dir=Path(tmp) / label.split()[0])
            log(f"{label}: building")
            assistant.build()
            stored = "codes" if assistant.index.tokens.codec is not None else "float16"
            per_sentence = token_bytes_a_sentence(assistant)
            for path in args.files:
                log(f"{label}: {path.name}")
                rows.append((label, stored, path.name, evaluate(assistant, load_questions(path)), per_sentence))
    print(f"{code_state()}")
    print("| token vectors | set | accuracy | evidence | declined | wrongly declined | bytes a sentence | codebook bytes |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, stored, name, r, (size, codebook) in rows:
        print(
            f"| {label}: {stored} | {name} | {r.accuracy:.3f} | {r.evidence_recall:.3f} | "
            f"{r.declined_unanswerable:.3f} | {r.wrongly_declined:.3f} | {size:,.0f} | {codebook:,} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
