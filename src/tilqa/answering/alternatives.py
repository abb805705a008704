"""Documents that disagree: other documents' answers giving another value of what was asked.

A question asking for a figure, a date or an amount, answered by a sentence holding one, has an
alternative in another document's candidate that holds that kind of fact and every qualifier of
the question (no rank penalty), scores within ALTERNATIVE_MARGIN of the answer, and states none of
the answer's figures beyond those the question states. At most MAX_ALTERNATIVES, one a document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Protocol, Sequence

from .holds import FIGURE

if TYPE_CHECKING:
    from ..index.records import SentenceTable
    from ..retrieval import Hit
    from .asked import Asked


class Scored(Protocol):
    """What is read of a scored candidate sentence (extractor.Candidate)."""

    sentence: int
    hit: "Hit"
    score: float
    penalty: float

VALUE_KINDS = frozenset({"money", "percent", "dose", "duration", "year", "date", "measure", "number"})
# The score's scale: token similarity weighs 4, so 0.25 is a small part of a typical 3 to 4.
ALTERNATIVE_MARGIN = 0.25
MAX_ALTERNATIVES = 2


def values(text: str) -> set[str]:
    """The figures a text states (digits standing alone, thousands' commas dropped): what two
    answers are compared by."""
    return {m.group().replace(",", "").rstrip(".") for m in FIGURE.finditer(text)}


def disagreeing(
    question: str,
    asked: "Asked",
    ranked: Sequence[Scored],
    rows: tuple[int, ...],
    sentences: "SentenceTable",
    answer_rows: Callable[[int, "Hit"], tuple[int, ...]],
) -> tuple[tuple[tuple[int, ...], "Hit"], ...]:
    """The sentence rows and passage of each other document's answer to `question` that gives
    another value than the answer's `rows`, best first (`ranked` are the scored candidates, the
    answer's first; `answer_rows` completes a candidate as the answer was completed)."""
    if asked.kind not in VALUE_KINDS:
        return ()
    given = values(question)
    ours = values(" ".join(sentences[r].text for r in rows)) - given
    seen = {sentences[rows[0]].source}
    out: list[tuple[tuple[int, ...], "Hit"]] = []
    for c in ranked[1:]:
        if c.score < ranked[0].score - ALTERNATIVE_MARGIN or len(out) == MAX_ALTERNATIVES:
            break
        source = sentences[c.sentence].source
        if source in seen or c.penalty > 0:  # lacking the kind of fact, or a qualifier
            continue
        other = (c.sentence,) if len(rows) == 1 else answer_rows(c.sentence, c.hit)
        theirs = values(" ".join(sentences[r].text for r in other)) - given
        if ours and theirs and ours.isdisjoint(theirs):
            seen.add(source)
            out.append((other, c.hit))
    return tuple(out)
