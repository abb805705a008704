"""Measuring answers against a question file (the format of `eval/dev.jsonl`)."""

from __future__ import annotations

import json
import re
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .assistant import Assistant
from .errors import EvalFileError
from .lexical import fold
from .results import Answer

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class EvalQuestion:
    """One question of a question file: `keywords` are groups of alternatives, every group of
    which a right answer holds; `evidence` the passages' text a top citation should hold; in a
    library, `source` the document they are in (an answer from another document is wrong)."""

    id: str
    question: str
    answerable: bool
    evidence: tuple[str, ...] = ()
    keywords: tuple[tuple[str, ...], ...] = ()
    source: str | None = None


@dataclass(frozen=True)
class Outcome:
    """One question asked and judged."""

    question: EvalQuestion
    answer: Answer
    seconds: float
    correct: bool
    evidence_found: bool
    grounded: bool  # answer verbatim in a cited passage, and every citation's offsets round-trip


@dataclass(frozen=True)
class Report:
    """The measures of `tilqa eval` over a question file (shares in [0, 1]), and the misses."""

    answerable: int
    unanswerable: int
    accuracy: float
    evidence_recall: float
    declined_unanswerable: float
    wrongly_declined: float
    grounded: float
    mean_answer_chars: float
    latency_median_ms: float
    latency_p95_ms: float
    misses: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(text: str) -> str:
    """Case, Unicode dashes and quotes, and white space folded, as the eval format specifies."""
    return _SPACE.sub(" ", fold(text)).strip().lower()


def load_questions(path: Path) -> list[EvalQuestion]:
    """The questions of a JSON-lines file in the format of `eval/README.md`.

    :raises EvalFileError: when the file cannot be read or a line is not a question record.
    """
    questions = []
    try:
        lines = path.read_text("utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise EvalFileError(f"cannot read question file {path}: {exc}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            questions.append(
                EvalQuestion(
                    id=str(row["id"]),
                    question=row["question"],
                    answerable=bool(row["answerable"]),
                    evidence=tuple(row.get("evidence", [])),
                    keywords=tuple(tuple(g) for g in row.get("keywords", [])),
                    source=row.get("source"),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise EvalFileError(f"{path}:{number}: not a question record ({exc})") from None
    return questions


def keywords_match(answer: str, groups: tuple[tuple[str, ...], ...]) -> bool:
    """Whether `answer` holds an alternative of every keyword group (text normalized first)."""
    text = normalize(answer)
    return all(any(normalize(alt) in text for alt in group) for group in groups)


def is_grounded(answer: Answer, assistant: Assistant) -> bool:
    """The answer is copied from a cited passage, and every citation's offsets round-trip
    through the document's extracted text."""
    for c in answer.citations:
        if assistant.document_text(c.source)[c.start : c.end] != c.text:
            return False
    if not answer.found:
        return True
    return any(
        c.answer_start is not None and c.text[c.answer_start : c.answer_end] == answer.answer
        for c in answer.citations
    )


def judge(assistant: Assistant, q: EvalQuestion, top_k: int) -> Outcome:
    """Ask `q` and judge the answer: right, its evidence cited in the top `top_k`, grounded."""
    started = time.perf_counter()
    answer = assistant.ask(q.question, top_k)
    seconds = time.perf_counter() - started
    # In a library the answer must come from the question's document (its citation leads), and
    # evidence counts only in that document's citations.
    cited = [c for c in answer.citations[:top_k] if q.source is None or c.source == q.source]
    from_source = q.source is None or (bool(answer.citations) and answer.citations[0].source == q.source)
    if q.answerable:
        correct = answer.found and from_source and keywords_match(answer.answer, q.keywords)
    else:
        correct = not answer.found
    evidence = any(normalize(e) in normalize(c.text) for e in q.evidence for c in cited)
    return Outcome(
        question=q,
        answer=answer,
        seconds=seconds,
        correct=correct,
        evidence_found=evidence,
        grounded=is_grounded(answer, assistant),
    )


def evaluate(assistant: Assistant, questions: list[EvalQuestion], top_k: int = 3) -> Report:
    """Ask every question (after one warm-up) and measure the answers."""
    if not questions:
        raise EvalFileError("the question file holds no questions")
    assistant.ask(questions[0].question, top_k)  # load model and index outside the timings
    outcomes = [judge(assistant, q, top_k) for q in questions]
    answerable = [o for o in outcomes if o.question.answerable]
    unanswerable = [o for o in outcomes if not o.question.answerable]
    found = [o for o in outcomes if o.answer.found]
    latencies = sorted(o.seconds * 1000 for o in outcomes)
    return Report(
        answerable=len(answerable),
        unanswerable=len(unanswerable),
        accuracy=_share(o.correct for o in answerable),
        evidence_recall=_share(o.evidence_found for o in answerable),
        declined_unanswerable=_share(not o.answer.found for o in unanswerable),
        wrongly_declined=_share(not o.answer.found for o in answerable),
        grounded=_share(o.grounded for o in outcomes),
        mean_answer_chars=statistics.fmean(len(o.answer.answer) for o in found) if found else 0.0,
        latency_median_ms=statistics.median(latencies),
        latency_p95_ms=latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))],
        misses=[_miss(o) for o in outcomes if not (o.correct and (o.evidence_found or not o.question.answerable))],
    )


def _share(flags: Any) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 1.0


def _miss(o: Outcome) -> dict[str, Any]:
    if not o.question.answerable:
        kind = "answered an unanswerable question"
    elif not o.answer.found:
        kind = "declined an answerable question"
    elif not o.correct:
        kind = "wrong sentence" if o.evidence_found else "wrong sentence, evidence not retrieved"
    else:
        kind = "evidence not in top citations"
    return {
        "id": o.question.id,
        "kind": kind,
        "question": o.question.question,
        "answer": o.answer.answer,
        "confidence": o.answer.confidence,
        "expected": [list(g) for g in o.question.keywords],
    }


def format_report(report: Report, show_misses: bool = False) -> str:
    """The report as `tilqa eval` prints it, each miss listed when `show_misses`."""
    rows = [
        ("answer accuracy (answerable)", f"{report.accuracy:.3f}", f"of {report.answerable}"),
        ("evidence recall@k", f"{report.evidence_recall:.3f}", ""),
        ("unanswerable declined", f"{report.declined_unanswerable:.3f}", f"of {report.unanswerable}"),
        ("answerable wrongly declined", f"{report.wrongly_declined:.3f}", ""),
        ("answer verbatim, offsets round-trip", f"{report.grounded:.3f}", ""),
        ("mean answer length", f"{report.mean_answer_chars:.0f}", "characters"),
        ("latency median / p95", f"{report.latency_median_ms:.1f} / {report.latency_p95_ms:.1f}", "ms"),
    ]
    lines = [f"{name:<38}{value:>14}  {unit}".rstrip() for name, value, unit in rows]
    lines.append(f"{'misses':<38}{len(report.misses):>14}")
    if show_misses:
        for m in report.misses:
            lines.append(f"- {m['id']} [{m['kind']}] conf={m['confidence']:.2f} {m['question']}")
            if m["answer"]:
                lines.append(f"    answered: {m['answer'][:160]}")
            if m["expected"]:
                lines.append(f"    expected: {m['expected']}")
    return "\n".join(lines)
