"""Are questions typed with contractions but no apostrophe ("dont", "whats") answered as their
spelled-out twins are?

Every contraction tilqa restores loses its apostrophe in the questions ("don't" -> "dont",
"what's" -> "whats"), as users type them, and the set is asked three ways with the same assistant:
as written, stripped (tilqa restores the apostrophes, its default) and stripped with the
restoration switched off (which also leaves the apostrophe-less forms the questions were written
with as typed). For question files in the format of eval/, the measures are `tilqa eval`'s. With
--squad, the answerable questions of a SQuAD file that hold a contraction are asked of the corpus
benchmarks/squad.py builds from it; an answer is right when it holds an annotated answer.

    python benchmarks/contractions.py [eval/dev.jsonl ...] [--squad FILE ...] [--top-k 3]
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import tilqa
import tilqa.question
from tilqa.evaluation import EvalQuestion, evaluate, load_questions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import code_state, print_reports  # noqa: E402
from squad import DEFAULT_WORKDIR, indexed_assistant  # noqa: E402

APOSTROPHIZED = re.compile(r"\b\w+['’]\w\b")


def strip_apostrophes(text: str) -> str:
    """`text` with the apostrophe taken out of every contraction tilqa would restore."""
    def strip(m: re.Match[str]) -> str:
        bare = m[0].replace("'", "").replace("’", "")
        return bare if tilqa.question.UNAPOSTROPHIZED.fullmatch(bare) else m[0]
    return APOSTROPHIZED.sub(strip, text)


@contextlib.contextmanager
def apostrophes_left_as_typed() -> Iterator[None]:
    """tilqa as it was before it restored apostrophes: `clean_question` leaves them as typed."""
    restore = tilqa.question.restore_apostrophes
    tilqa.question.restore_apostrophes = lambda text: text
    try:
        yield
    finally:
        tilqa.question.restore_apostrophes = restore


def squad_questions(path: Path) -> tuple[tilqa.Assistant, list[EvalQuestion]]:
    """An assistant over the SQuAD file's articles, and its answerable questions holding a
    contraction (every annotated answer is an alternative keyword and evidence)."""
    data = json.loads(path.read_text("utf-8"))
    assistant = indexed_assistant(data, DEFAULT_WORKDIR / path.stem)
    questions = []
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                if answers and strip_apostrophes(qa["question"]) != qa["question"]:
                    questions.append(
                        EvalQuestion(
                            id=qa["id"], question=qa["question"], answerable=True, evidence=answers, keywords=(answers,)
                        )
                    )
    return assistant, questions


def compare(label: str, assistant: tilqa.Assistant, questions: list[EvalQuestion], top_k: int) -> None:
    stripped = [dataclasses.replace(q, question=strip_apostrophes(q.question)) for q in questions]
    changed = sum(q.question != s.question for q, s in zip(questions, stripped))
    typed = sum(tilqa.question.restore_apostrophes(q.question) != q.question for q in questions)
    reports = {"as written": evaluate(assistant, questions, top_k), "stripped, restored": evaluate(assistant, stripped, top_k)}
    with apostrophes_left_as_typed():
        reports["stripped, left as typed"] = evaluate(assistant, stripped, top_k)
    print(f"\n{label}: {len(questions)} questions, {changed} stripped of an apostrophe, {typed} written without one")
    print_reports(reports, 26)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", type=Path, nargs="*", default=[Path("eval/dev.jsonl")])
    parser.add_argument("--squad", type=Path, nargs="*", default=[], help="SQuAD json files (../shared/bench/squad-*)")
    parser.add_argument("--top-k", type=int, default=3)
    args = parser.parse_args()
    print(code_state())
    assistant = tilqa.Assistant()
    for path in args.files:
        compare(str(path), assistant, load_questions(path), args.top_k)
    for path in args.squad:
        squad_assistant, questions = squad_questions(path)
        compare(f"{path.name}, answerable questions with a contraction", squad_assistant, questions, args.top_k)


if __name__ == "__main__":
    main()
