"""The question sets of issue 21, asked with one loaded model: figures per set, answers right
before abstention, and which questions changed against an earlier run.

Loads the assistant once (not once per file, as `tilqa eval` does) and asks every file given.
For each it prints `tilqa eval`'s measures and the answerable questions right before abstention
(the sentence tilqa would answer with, were nothing declined). `--save FILE` keeps each question's
outcome; `--against FILE` lists the questions whose outcome differs from that earlier run (by id,
for the sets one may read; for a file named in `--aggregate-only` only the counts, so an unread
set stays unread). `--squad N` asks N seeded SQuAD 2.0 dev questions in the default configuration
only, keeping each outcome too (the leaner check; `benchmarks/squad.py` is the full one, and this
reads its corpus and index).

    .venv/bin/python benchmarks/question_kinds.py eval/dev.jsonl eval/yesno-a.jsonl \
        --index /tmp/kinds-index --save /tmp/run.json [--against /tmp/base.json] [--squad 1000] [--misses]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from common import REPO, code_state

READ_SETS = (
    "dev", "blind-a", "blind-b", "definitions-a", "howwhy-a", "yesno-a", "facts-a", "exclusion-a",
    "facts-b", "tune-a", "tune-b", "tune-c", "tune-d", "tune-e", "tune-f",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path,
                        help="question files (default: the read sets, eval/<name>.jsonl for each of "
                             + ", ".join(READ_SETS) + ")")
    parser.add_argument("--index", type=Path, required=True, help="index folder (built from corpus/)")
    parser.add_argument("--save", type=Path, help="write each question's outcome here (JSON)")
    parser.add_argument("--against", type=Path, help="an earlier --save to compare with")
    parser.add_argument("--aggregate-only", nargs="*", default=[], help="file stems whose questions are never listed")
    parser.add_argument("--squad", type=int, default=0, help="also ask this many SQuAD 2.0 dev questions")
    parser.add_argument("--squad-workdir", type=Path, help="SQuAD corpus and index (default: squad.py's)")
    parser.add_argument("--misses", action="store_true", help="list the misses of the read sets")
    args = parser.parse_args()

    import tilqa
    from tilqa.evaluation import evaluate, keywords_match, load_questions

    files = args.files or [REPO / "eval" / f"{name}.jsonl" for name in READ_SETS]
    hidden = set(args.aggregate_only) | {f.stem for f in files if f.stem.startswith("mixed")}
    settings = tilqa.Settings.load(corpus_dir=REPO / "corpus", index_dir=args.index)
    assistant = tilqa.Assistant(settings=settings)
    before = json.loads(args.against.read_text()) if args.against else {}
    outcomes: dict[str, dict[str, list]] = {}
    print(code_state())
    print(f"{'set':<15}{'acc':>7}{'evid':>7}{'decl':>7}{'wrong':>7}{'chars':>7}{'raw':>8}{'ms':>7}")
    for path in files:
        questions = load_questions(path)
        report = evaluate(assistant, questions, 3)
        raw = {}
        for q in questions:
            if q.answerable:
                explanation = assistant.explain(q.question)
                e = explanation.extraction
                text = " ".join(explanation.index.sentences[r].text for r in e.sentences) if e else ""
                raw[q.id] = keywords_match(text, q.keywords)
        missed = {m["id"] for m in report.misses}
        outcomes[path.stem] = {"missed": sorted(missed), "raw_wrong": sorted(i for i, ok in raw.items() if not ok)}
        print(f"{path.stem:<15}{report.accuracy:>7.3f}{report.evidence_recall:>7.3f}"
              f"{report.declined_unanswerable:>7.3f}{report.wrongly_declined:>7.3f}{report.mean_answer_chars:>7.0f}"
              f"{sum(raw.values()):>4}/{len(raw):<3}{report.latency_median_ms:>7.1f}", flush=True)
        if path.stem in before:
            was = before[path.stem]
            for key in ("missed", "raw_wrong"):
                now = set(outcomes[path.stem][key])
                gained, lost = set(was[key]) - now, now - set(was[key])
                if gained or lost:
                    detail = f"fixed {len(gained)}, broke {len(lost)}"
                    if path.stem not in hidden:
                        detail += f": fixed {sorted(gained)} broke {sorted(lost)}"
                    print(f"    {key}: {detail}")
        if args.misses and path.stem not in hidden:
            for m in report.misses:
                print(f"  - {m['id']} [{m['kind']}] {m['confidence']:.2f} {m['question']}\n      {m['answer'][:200]}"
                      f"\n      expected {m['expected']}")
    if args.squad:
        outcomes["squad"] = squad(args.squad, args.squad_workdir, before.get("squad"))
    if args.save:
        args.save.write_text(json.dumps(outcomes))


def squad(limit: int, workdir: Path | None, before: dict | None) -> dict:
    """The default configuration on `limit` seeded SQuAD 2.0 dev questions: holds gold, sentence
    right ignoring abstention, unanswerable declined; the outcome of each question kept."""
    import tilqa
    from squad import DEFAULT_DATA, DEFAULT_WORKDIR, _unthresholded, indexed_assistant, sample_questions
    from tilqa.evaluation import normalize

    data = json.loads(DEFAULT_DATA.read_text("utf-8"))
    base = indexed_assistant(data, (workdir or DEFAULT_WORKDIR) / DEFAULT_DATA.stem).settings
    assistant = tilqa.Assistant(settings=base)
    questions = sample_questions(data, limit, 0)
    assistant.ask(questions[0]["question"])
    out = {"right": [], "sentence": [], "declined": [], "wrongly": []}
    times = []
    for n, q in enumerate(questions):
        started = time.perf_counter()
        answer = assistant.ask(q["question"])
        times.append(time.perf_counter() - started)
        if not q["answers"]:
            if not answer.found:
                out["declined"].append(n)
            continue
        gold = [normalize(a["text"]) for a in q["answers"]]
        chosen = answer.answer or _unthresholded(assistant, q["question"])
        if any(g in normalize(chosen) for g in gold):
            out["sentence"].append(n)
            if answer.found:
                out["right"].append(n)
        if not answer.found:
            out["wrongly"].append(n)
    answerable = sum(1 for q in questions if q["answers"])
    unanswerable = len(questions) - answerable
    print(f"squad {len(questions)}: holds gold {len(out['right']) / answerable:.3f}, sentence right "
          f"{len(out['sentence']) / answerable:.3f}, wrongly declined {len(out['wrongly']) / answerable:.3f}, "
          f"unanswerable declined {len(out['declined']) / unanswerable:.3f}, "
          f"median {statistics.median(times) * 1000:.1f} ms")
    if before:
        for key in out:
            gained, lost = set(out[key]) - set(before[key]), set(before[key]) - set(out[key])
            if gained or lost:
                print(f"    {key}: +{len(gained)} -{len(lost)}: " + "; ".join(
                    f"{'+' if n in gained else '-'} {questions[n]['question']}" for n in sorted(gained | lost)[:30]))
    return out


if __name__ == "__main__":
    main()
