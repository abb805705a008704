"""How often does tilqa decline biomedical questions its corpus does not answer?

The development set has only 10 unanswerable questions. This asks the 1,000 PubMedQA questions
(`../shared/bench/pubmedqa/queries.jsonl`: research questions about cancer, surgery, trials…, none
about Iovance) of the shipped corpus, counts them all as unanswerable, and prints the share
declined at the configured `min_confidence` and at nearby thresholds, then the questions answered
with the highest confidence, so a reader can check that they really are not answered by the corpus.

    python benchmarks/near_domain_unanswerable.py [--questions FILE] [--show 10]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import tilqa

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import REPO, code_state, read_jsonl  # noqa: E402

DEFAULT_QUESTIONS = REPO.parent / "shared" / "bench" / "pubmedqa" / "queries.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS, help="a BEIR queries.jsonl")
    parser.add_argument("--show", type=int, default=10, help="how many of the most confident answers to list")
    args = parser.parse_args()
    questions = [q["text"] for q in read_jsonl(args.questions)]

    assistant = tilqa.Assistant()
    answers = [assistant.ask(q) for q in questions]
    confidence = np.array([a.confidence for a in answers])
    threshold = assistant.settings.min_confidence

    print(f"{code_state()}; {len(questions)} questions from {args.questions}, asked of {assistant.settings.corpus_dir}")
    print(f"declined at min_confidence {threshold:.2f}: {np.mean([not a.found for a in answers]):.3f}")
    print("| threshold | declined |\n| --- | --- |")
    for t in (0.30, 0.35, 0.40, 0.45, 0.50):
        print(f"| {t:.2f} | {np.mean(confidence < t):.3f} |")
    print(f"\nthe {args.show} answered with the highest confidence:")
    for i in np.argsort(-confidence)[: args.show]:
        a = answers[i]
        shown = a.answer[:100] if a.found else "(declined)"
        print(f"  {a.confidence:.3f}  {questions[i]}\n         -> {shown}")


if __name__ == "__main__":
    main()
