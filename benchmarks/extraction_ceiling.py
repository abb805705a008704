"""How far can sentence scoring go with the signals tilqa has? An upper bound on answer accuracy.

For each answerable question of a question file, every sentence of the top passages is a
candidate answer (with the neighbour tilqa would pair it with). The script reports:

- how many questions have a correct candidate at all (what a perfect sentence scorer would get);
- how many the shipped weights get right (before abstention);
- the best any linear weighting of the features gets, found by random search and measured on the
  same questions it was searched on, so it is an optimistic bound, not an estimate. This is done
  once over the four features tilqa weighs (dense similarity, BM25, passage score, token-level
  similarity; its typicality term and answer-type check stay as shipped) and once with four more:
  sentence-only BM25, heading-path BM25, the similarity of the sentence read with the one before
  it, and whether it opens its paragraph.

If even the in-sample best stays well under a target, no reweighting of these signals reaches
it; a stronger relevance model (a cross-encoder, a larger embedding model) is what is missing.

    python benchmarks/extraction_ceiling.py [eval/dev.jsonl] [--trials 20000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

import tilqa
from tilqa.answering.extractor import SENTENCE_WEIGHTS, TOKEN_SENTENCE_WEIGHTS
from tilqa.evaluation import keywords_match, load_questions
from tilqa.lexical import LexicalIndex

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import candidate_answers, code_state, log  # noqa: E402

FEATURES = ("dense", "lexical", "passage", "tokens", "sentence BM25", "heading BM25", "with previous", "opens paragraph")
IN_USE = 4  # the first four are what tilqa.answering.extractor scores with


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path("eval/dev.jsonl"))
    parser.add_argument("--trials", type=int, default=20000, help="random weightings tried")
    args = parser.parse_args()
    questions = [q for q in load_questions(args.file) if q.answerable]
    assistant = tilqa.Assistant()
    # The weights answers are scored with; the "dense" baseline weighs one feature, not these.
    in_use = {"tokens": TOKEN_SENTENCE_WEIGHTS, "hybrid": SENTENCE_WEIGHTS}.get(assistant.settings.sentence_scoring)
    if in_use is None:
        parser.error("measures sentence scoring 'tokens' or 'hybrid' (TILQA_SENTENCE_SCORING)")
    data = assistant.index
    sentences = data.sentences

    previous: dict[int, int] = {}
    for p in data.passages:
        for before, row in zip(p.sentences, p.sentences[1:]):
            previous[row] = before
    log(f"embedding {len(sentences)} sentences with their previous one")
    with_previous = assistant.embedder.encode(
        [f"{sentences[previous[i]].text} {s.text}" if i in previous else s.text for i, s in enumerate(sentences)],
        show_progress=False,
    )
    sentence_bm25 = LexicalIndex([s.text for s in sentences])
    heading_bm25 = LexicalIndex([data.sentences.section(row) for row in range(len(sentences))])

    rows = []  # per question: (feature matrix, fixed offset, correct flags)
    for q in questions:
        vector, candidates, texts, offsets = candidate_answers(assistant, q.question)
        ids = np.array([c.sentence for c in candidates])

        def scaled(scores: np.ndarray) -> np.ndarray:
            picked = scores[ids]
            return picked / picked.max() if picked.max() > 0 else picked

        features = np.column_stack([
            [c.dense for c in candidates],
            [c.lexical for c in candidates],
            [c.hit.score for c in candidates],
            [c.tokens for c in candidates],
            scaled(sentence_bm25.scores(q.question)),
            scaled(heading_bm25.scores(q.question)),
            with_previous[ids] @ vector,
            [float(i not in previous) for i in ids],
        ])
        correct = np.array([keywords_match(text, q.keywords) for text in texts])
        # Every weighting keeps tilqa's typicality term and answer-type check (the fixed offsets).
        rows.append((features, offsets, correct))

    def right(weights: np.ndarray) -> int:
        return int(sum(correct[np.argmax(features @ weights + offset)] for features, offset, correct in rows))

    shipped = np.zeros(len(FEATURES))
    shipped[:IN_USE] = [in_use[k] for k in FEATURES[:IN_USE]]
    rng = np.random.default_rng(0)

    def best(n_features: int) -> tuple[int, np.ndarray]:
        top, top_weights = right(shipped), shipped
        for _ in range(args.trials):
            w = np.zeros(len(FEATURES))
            w[:n_features] = rng.uniform(-0.5, 1.5, n_features)
            w[0] = abs(w[0])
            w[3] *= 4  # token similarities spread less than the others: their weights run larger
            score = right(w)
            if score > top:
                top, top_weights = score, w
        return top, top_weights

    n = len(questions)
    print(f"{code_state()}; {n} answerable questions from {args.file}, top {assistant.settings.answer_passages} passages")
    exists = sum(correct.any() for _, _, correct in rows)
    print(f"{'a correct candidate exists':<48}{exists:>4}  ({exists / n:.3f})")
    print(f"{'shipped weights (before abstention)':<48}{right(shipped):>4}  ({right(shipped) / n:.3f})")
    for label, k in (("best weights, 4 features in use (in-sample)", IN_USE), ("best weights, all 8 features (in-sample)", len(FEATURES))):
        score, weights = best(k)
        shown = ", ".join(f"{name} {w:.2f}" for name, w in zip(FEATURES[:k], weights[:k]))
        print(f"{label:<48}{score:>4}  ({score / n:.3f})  [{shown}]")


if __name__ == "__main__":
    main()
