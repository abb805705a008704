"""Do questions in British spelling get the answers their American spelling gets?

The corpus is written in American English. This rewrites every question of a question file into
British spelling word by word (breame's American-to-British list: "tumor" -> "tumour",
"commercializing" -> "commercialising"), evaluates the original and the rewritten set with the
same assistant, and prints both, with the questions whose spelling changed and whether each is
answered correctly in both spellings.

    python benchmarks/spelling_variants.py [eval/dev.jsonl] [--top-k 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import sys
from pathlib import Path

from breame.spelling import american_spelling_exists, get_british_spelling

import tilqa
from tilqa.evaluation import evaluate, load_questions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import code_state, print_reports  # noqa: E402

WORD = re.compile(r"[A-Za-z]+")


def british(text: str) -> str:
    def swap(m: re.Match[str]) -> str:
        word = m.group()
        if not american_spelling_exists(word):
            return word
        spelled = get_british_spelling(word)  # lower case
        return spelled.capitalize() if word[0].isupper() else spelled
    return WORD.sub(swap, text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", type=Path, nargs="?", default=Path("eval/dev.jsonl"))
    parser.add_argument("--top-k", type=int, default=3)
    args = parser.parse_args()
    questions = load_questions(args.file)
    rewritten = [dataclasses.replace(q, question=british(q.question)) for q in questions]
    changed = [(q, r) for q, r in zip(questions, rewritten) if q.question != r.question]

    assistant = tilqa.Assistant()
    reports = {
        "as written": evaluate(assistant, questions, args.top_k),
        "British spelling": evaluate(assistant, rewritten, args.top_k),
    }
    print(f"{code_state()}; {len(questions)} questions from {args.file}, {len(changed)} change spelling")
    print_reports(reports, 22)
    # Misses whose answer is right (only the evidence is not cited) do not count as wrong answers.
    missed = {label: {m["id"] for m in r.misses if m["kind"] != "evidence not in top citations"} for label, r in reports.items()}
    for q, r in changed:
        status = ", ".join(f"{label}: {'missed' if q.id in ids else 'right'}" for label, ids in missed.items())
        print(f"  {q.id} {r.question!r} ({status})")


if __name__ == "__main__":
    main()
