"""Fit tilqa's answer confidence and choose its threshold on a question file.

For every question it takes the features `tilqa.answering.extractor.confidence` uses (the best
similarity among the candidate sentences, of their own tokens under the default sentence scoring;
lexical coverage of the question by the chosen sentence; whether the answer holds the kind of
fact asked for), fits a logistic regression of "answerable" on the first two (plain numpy, no
extra dependency), and prints, for a range of thresholds, the share of unanswerable questions declined
and of answerable ones wrongly declined, both in-sample and leave-one-out (an honest estimate for
questions not in the file). Copy the fitted weights into `CONFIDENCE_WEIGHTS` (under the scoring
measured) and the chosen threshold into `Settings.min_confidence`.

    python benchmarks/calibrate.py eval/dev.jsonl eval/blind-a.jsonl

With several files, the questions of all of them are pooled, and the table also shows, for each
file, the shares under the weights in use and under weights fitted on the other files only (how
a fit carries to questions written apart from the ones it was fitted on).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np

import tilqa
from tilqa.answering.extractor import CONFIDENCE_WEIGHTS, MISSING_TYPE_PENALTY
from tilqa.evaluation import load_questions

from common import answer_passages


def features(assistant: tilqa.Assistant, question: str) -> tuple[float, float, bool]:
    """The confidence features of the answer `assistant.ask` would give."""
    extraction = answer_passages(assistant, question).extraction
    return extraction.similarity, extraction.coverage, extraction.typed


def fit(x: np.ndarray, y: np.ndarray, l2: float = 0.1, steps: int = 20000) -> np.ndarray:
    """Logistic regression with balanced class weights, by gradient descent: [bias, w...]."""
    X = np.hstack([np.ones((len(x), 1)), x])
    weight = np.where(y == 1, 0.5 / y.mean(), 0.5 / (1 - y.mean()))
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ ((p - y) * weight) / len(y) + l2 * np.r_[0, w[1:]] / len(y)
        w -= 0.5 * grad
    return w


def probability(w: np.ndarray, x: np.ndarray, typed: np.ndarray) -> np.ndarray:
    p = 1 / (1 + np.exp(-(w[0] + x @ w[1:])))
    return np.where(typed, p, p * MISSING_TYPE_PENALTY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="*", default=[Path("eval/dev.jsonl")])
    args = parser.parse_args()
    sets = {path.name: load_questions(path) for path in args.files}
    questions = [q for qs in sets.values() for q in qs]
    source = np.array([name for name, qs in sets.items() for _ in qs])
    assistant = tilqa.Assistant(settings=dataclasses.replace(tilqa.Settings.load(), min_confidence=0.0))
    rows = [features(assistant, q.question) for q in questions]
    x = np.array([[d, c] for d, c, _ in rows])
    typed = np.array([t for _, _, t in rows])
    y = np.array([q.answerable for q in questions], dtype=float)

    w = fit(x, y)
    scoring = assistant.settings.sentence_scoring
    # What answers are judged with: the weights of the scoring in use ("dense" shares hybrid's).
    in_use = CONFIDENCE_WEIGHTS["tokens" if scoring == "tokens" else "hybrid"]
    print(f"sentence scoring {scoring!r}")
    print(f"fitted: bias={w[0]:.2f} similarity={w[1]:.2f} coverage={w[2]:.2f}")
    print(f"in use: {in_use}")
    loo = np.array([
        probability(fit(np.delete(x, i, 0), np.delete(y, i)), x[i : i + 1], typed[i : i + 1])[0]
        for i in range(len(y))
    ])
    p_fit = probability(w, x, typed)
    p_use = probability(np.array([in_use[k] for k in ("bias", "similarity", "coverage")]), x, typed)
    def cell(p: np.ndarray, keep: np.ndarray, t: float) -> str:
        return f"{(p[keep & (y == 0)] < t).mean():.2f} / {(p[keep & (y == 1)] < t).mean():.2f}"

    everything = np.ones(len(y), dtype=bool)
    per_file = list(sets) if len(sets) > 1 else []
    p_rest = {}  # each file's confidences under weights fitted on the other files
    for name in per_file:
        rest = source != name
        p_rest[name] = probability(fit(x[rest], y[rest]), x, typed)
    header = ["in use: declined / wrongly", "fitted", "leave-one-out"]
    header += [h for name in per_file for h in (f"{name}, in use", f"{name}, fitted on the rest")]
    print(f"\n{'threshold':>9} | " + " | ".join(f"{h:>27}" for h in header))
    for t in np.arange(0.20, 0.65, 0.05):
        cells = [cell(p, everything, t) for p in (p_use, p_fit, loo)]
        cells += [cell(p, source == name, t) for name in per_file for p in (p_use, p_rest[name])]
        print(f"{t:>9.2f} | " + " | ".join(f"{c:>27}" for c in cells))


if __name__ == "__main__":
    main()
