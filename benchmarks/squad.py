"""Answer sentences and abstention of tilqa on public questions: SQuAD 2.0 dev (or 1.1).

Every article of the set becomes one corpus file (title line, blank line, its paragraphs), indexed
with tilqa's own pipeline, and a seeded sample of the questions is asked of the whole corpus, as a
user would ask tilqa. For each configuration it prints:

- answer holds the gold answer: the returned sentence(s) contain one of the annotated answer
  texts (case and Unicode folded) and the answer is `found` (for answerable questions);
- sentence right, ignoring abstention: the same, whether or not the answer was declined;
- gold in top-3 citations: one of the top 3 cited passages contains an annotated answer text;
- answerable wrongly declined; unanswerable declined (SQuAD 2.0 only); mean answer length;
  median latency of `Assistant.ask`.

The published SQuAD figures (EM/F1 of span-extracting readers, in SOURCE.md) measure a different
task, an exact answer span found in a given paragraph, so they are context, not a comparison.
SQuAD 2.0's unanswerable questions are written against a paragraph that nearly answers them; they
are much harder to decline than the off-topic questions tilqa's threshold was fitted on.

`--sweep` also reports sentence accuracy for a grid of extraction weights, to check that the weights
chosen on the 40 development questions are not tuned to them.

    .venv/bin/python benchmarks/squad.py [--data FILE] [--limit 1000] [--sweep]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from common import REPO, answer_passages, candidate_answers, code_state, log, sync_corpus

DEFAULT_DATA = REPO.parent / "shared" / "bench" / "squad-v2.0" / "dev-v2.0-explorer.json"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "tilqa-bench-squad"

# (label, retrieval, sentence_scoring, min_confidence or None for the default)
CONFIGURATIONS = [
    ("dense retrieval, most similar sentence, never declines", "dense", "dense", 0.0),
    ("BM25 retrieval, most similar sentence, never declines", "bm25", "dense", 0.0),
    ("hybrid retrieval, most similar sentence, never declines", "hybrid", "dense", 0.0),
    ("hybrid + sentence scoring without tokens, never declines", "hybrid", "hybrid", 0.0),
    ("hybrid + sentence scoring with tokens, never declines", "hybrid", "tokens", 0.0),
    ("default: hybrid + sentence scoring with tokens + abstention", "hybrid", "tokens", None),
]


def write_corpus(data: dict, corpus_dir: Path) -> int:
    """One `<nn>-<title>.txt` per article: title line, blank line, paragraphs; returns how many
    files were written."""
    texts = {}
    for number, article in enumerate(data["data"]):
        name = f"{number:02d}-{re.sub(r'[^A-Za-z0-9_-]', '', article['title'])}.txt"
        paragraphs = "\n\n".join(p["context"].strip() for p in article["paragraphs"])
        texts[name] = f"{article['title'].replace('_', ' ')}\n\n{paragraphs}\n"
    return sync_corpus(corpus_dir, texts)


def indexed_assistant(data: dict, base: Path):
    """A tilqa.Assistant over the SQuAD articles of `data`, as a corpus in `base/corpus` with its
    index in `base/index`, built (or found up to date)."""
    import tilqa

    written = write_corpus(data, base / "corpus")
    log(f"corpus: {len(data['data'])} articles in {base / 'corpus'} ({written} written)")
    # Settings() directly: the library defaults, not TILQA_* variables of whoever runs this.
    assistant = tilqa.Assistant(settings=tilqa.Settings(corpus_dir=base / "corpus", index_dir=base / "index"))
    log(assistant.build(show_progress=False).summary())
    return assistant


def sample_questions(data: dict, limit: int, seed: int) -> list[dict]:
    questions = [qa for article in data["data"] for p in article["paragraphs"] for qa in p["qas"]]
    random.Random(seed).shuffle(questions)
    return questions[:limit] if limit else questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Figures go to stdout, progress to stderr.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"a SQuAD json file (default: {DEFAULT_DATA})")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"corpus files and index, kept between runs (default: {DEFAULT_WORKDIR})")
    parser.add_argument("--limit", type=int, default=1000, help="questions asked, a seeded sample (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="store_true", help="also grid the extraction weights")
    args = parser.parse_args()

    import tilqa
    from tilqa.evaluation import normalize

    data = json.loads(args.data.read_text("utf-8"))
    settings = indexed_assistant(data, args.workdir / args.data.stem).settings
    questions = sample_questions(data, args.limit, args.seed)
    answerable = [q for q in questions if q["answers"]]
    log(f"asking {len(questions)} questions ({len(answerable)} answerable) per configuration")

    print(f"{code_state()}; {args.data.name}, {len(questions)} questions "
          f"({len(answerable)} answerable, {len(questions) - len(answerable)} unanswerable), seed {args.seed}")
    header = ("configuration", "answer holds gold", "sentence right (ignoring abstention)", "gold in top-3 citations",
              "answerable wrongly declined", "unanswerable declined", "mean answer chars", "median ms")
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    for label, retrieval, scoring, threshold in CONFIGURATIONS:
        overrides = {"retrieval": retrieval, "sentence_scoring": scoring}
        if threshold is not None:
            overrides["min_confidence"] = threshold
        assistant = tilqa.Assistant(settings=dataclasses.replace(settings, **overrides))
        assistant.ask(questions[0]["question"])  # load outside the timings
        right = sentence_right = cited = declined_answerable = declined_unanswerable = 0
        lengths, times = [], []
        for q in questions:
            started = time.perf_counter()
            answer = assistant.ask(q["question"])
            times.append(time.perf_counter() - started)
            gold = [normalize(a["text"]) for a in q["answers"]]
            if not q["answers"]:
                declined_unanswerable += not answer.found
                continue
            chosen = answer.answer or _unthresholded(assistant, q["question"])
            holds = any(g in normalize(chosen) for g in gold)
            sentence_right += holds
            right += holds and answer.found
            declined_answerable += not answer.found
            cited += any(g in normalize(c.text) for g in gold for c in answer.citations[:3])
            if answer.found:
                lengths.append(len(answer.answer))
        unanswerable = len(questions) - len(answerable)
        cells = [
            f"{right / len(answerable):.3f}", f"{sentence_right / len(answerable):.3f}", f"{cited / len(answerable):.3f}",
            f"{declined_answerable / len(answerable):.3f}",
            f"{declined_unanswerable / unanswerable:.3f}" if unanswerable else "n/a",
            f"{statistics.fmean(lengths):.0f}" if lengths else "n/a", f"{statistics.median(times) * 1000:.1f}",
        ]
        print(f"| {label} | " + " | ".join(cells) + " |", flush=True)

    if args.sweep:
        sweep(tilqa.Assistant(settings=settings), answerable, normalize)


def _unthresholded(assistant, question: str) -> str:
    """The sentence(s) a declined answer would have given."""
    explanation = answer_passages(assistant, question)
    extraction = explanation.extraction
    return " ".join(explanation.index.sentences[r].text for r in extraction.sentences) if extraction else ""


def sweep(assistant, answerable: list[dict], normalize) -> None:
    """Sentence accuracy (ignoring abstention) for a grid of extraction weights (dense 0.5, the
    typicality term and the answer-type check fixed, as shipped)."""
    rows = []
    for q in answerable:
        _, candidates, texts, offsets = candidate_answers(assistant, q["question"])
        gold = [normalize(a["text"]) for a in q["answers"]]
        features = np.array([[c.dense, c.lexical, c.hit.score, c.tokens] for c in candidates])
        holds = np.array([any(g in normalize(text) for g in gold) for text in texts])
        rows.append((features, offsets, holds))
    print("\nsentence right (ignoring abstention) by extraction weights (dense 0.5):")
    print("| tokens | lexical | passage | sentence right |\n| --- | --- | --- | --- |")
    for tokens, lexical, passage in itertools.product((0.0, 2.0, 4.0, 6.0), (0.0, 0.25, 0.5), (0.0, 0.25, 0.5)):
        w = np.array([0.5, lexical, passage, tokens])
        share = statistics.fmean(
            bool(holds[np.argmax(features @ w + offset)]) for features, offset, holds in rows if len(holds)
        )
        print(f"| {tokens} | {lexical} | {passage} | {share:.3f} |")

if __name__ == "__main__":
    main()
