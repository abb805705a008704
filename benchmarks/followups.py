"""Follow-up questions (issue 32): every later turn of each conversation asked with its history,
and its self-contained rewrite asked alone, with the right and declined shares of both.

A conversation file holds one conversation a line: `{"id", "turns": [{"question", "rewrite",
"answerable", "evidence", "keywords", "section"}, ...]}`. The first turn is asked alone; each
later turn is asked with the answers tilqa gave to the turns before it (as a chat would), and its
`rewrite` is asked with no history. A later turn whose rewrite is its question is a change of
topic: it should be answered as if asked first. Right means, as in `tilqa eval`: an answerable
turn answered with every keyword group, an unanswerable one declined.

    .venv/bin/python benchmarks/followups.py eval/followup-tune.jsonl --index /tmp/fu-index [--misses]
    .venv/bin/python benchmarks/followups.py eval/followup-test.jsonl --index /tmp/fu-index --aggregate-only

`--aggregate-only` prints figures and nothing about any one turn (for the unread set; each use is
logged in eval/README.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from common import REPO, code_state, read_jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+", type=Path, help="conversation files (JSON lines)")
    parser.add_argument("--index", type=Path, required=True, help="index folder (built from corpus/)")
    parser.add_argument("--top-k", type=int, default=3)
    parser.add_argument("--misses", action="store_true", help="list each later turn got wrong (read sets only)")
    parser.add_argument("--aggregate-only", action="store_true", help="print figures only (unread sets)")
    args = parser.parse_args()

    import tilqa
    from tilqa.evaluation import keywords_match

    settings = tilqa.Settings.load(corpus_dir=REPO / "corpus", index_dir=args.index)
    assistant = tilqa.Assistant(settings=settings)
    print(code_state())

    def right(turn: dict, answer: tilqa.Answer) -> bool:
        if turn["answerable"]:
            return answer.found and keywords_match(answer.answer, tuple(tuple(g) for g in turn["keywords"]))
        return not answer.found

    for path in args.files:
        rows: list[dict] = []
        for conversation in read_jsonl(path):
            history: list[tilqa.Answer] = []
            for number, turn in enumerate(conversation["turns"]):
                with_history = assistant.ask(turn["question"], args.top_k, history=history)
                if number:
                    alone = assistant.ask(turn["rewrite"], args.top_k)
                    first = assistant.ask(turn["question"], args.top_k)
                    rows.append({
                        "id": f"{conversation['id']}#{number + 1}",
                        "turn": turn,
                        "topic_change": turn["rewrite"].strip() == turn["question"].strip(),
                        "history": right(turn, with_history),
                        "rewrite": right(turn, alone),
                        "bare": right(turn, first),
                        "same_as_first": (with_history.answer, with_history.found) == (first.answer, first.found),
                        "understood_as": with_history.understood_as,
                        "answer": with_history.answer,
                    })
                history.append(with_history)
        report(path.stem, rows)
        if args.misses and not args.aggregate_only:
            for r in rows:
                if not r["history"] and not r["topic_change"]:
                    t = r["turn"]
                    print(f"  - {r['id']} {'answerable' if t['answerable'] else 'unanswerable'}"
                          f" (rewrite {'right' if r['rewrite'] else 'wrong'}): {t['question']!r}\n"
                          f"      understood as: {r['understood_as']!r}\n      rewrite:       {t['rewrite']!r}\n"
                          f"      answered: {r['answer'][:160]!r}\n      expected {t['keywords']}")


def share(flags: list[bool]) -> str:
    return f"{sum(flags) / len(flags):.3f} ({sum(flags)}/{len(flags)})" if flags else "-"


def report(name: str, rows: list[dict]) -> None:
    follow = [r for r in rows if not r["topic_change"]]
    answerable = [r for r in follow if r["turn"]["answerable"]]
    unanswerable = [r for r in follow if not r["turn"]["answerable"]]
    changes = [r for r in rows if r["topic_change"]]
    print(f"{name}: {len(follow)} follow-up turns ({len(answerable)} answerable, {len(unanswerable)} not), "
          f"{len(changes)} changes of topic")
    print(f"  follow-ups right, asked with history       {share([r['history'] for r in follow])}")
    print(f"  follow-ups right, their rewrites alone     {share([r['rewrite'] for r in follow])}")
    print(f"  follow-ups right, asked alone (no history) {share([r['bare'] for r in follow])}")
    print(f"  answerable right: with history {share([r['history'] for r in answerable])}, "
          f"rewrite {share([r['rewrite'] for r in answerable])}")
    print(f"  unanswerable declined: with history {share([r['history'] for r in unanswerable])}, "
          f"rewrite {share([r['rewrite'] for r in unanswerable])}")
    print(f"  changes of topic answered as if asked first {share([r['same_as_first'] for r in changes])}, "
          f"right {share([r['history'] for r in changes])}")


if __name__ == "__main__":
    main()
