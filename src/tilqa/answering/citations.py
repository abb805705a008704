"""Turning a chosen answer into citations: the passages, in the order they are cited, with the
answer's span inside the passage that holds it."""

from __future__ import annotations

from typing import Sequence

from ..index import IndexData
from ..index.records import PassageRecord, SentenceRecord
from ..results import Citation
from ..retrieval import Hit
from .extractor import Extraction


def cite(data: IndexData, extraction: Extraction, hits: Sequence[Hit], k: int, found: bool) -> list[Citation]:
    """Up to `k` citations: passages whose best sentence scores highest first (the answer's
    leads), then the rest of `hits` in retrieval order; a passage with the same words as one
    already cited (another copy of a syndicated text) is left out. When `found`, the passage
    holding the answer marks it with `answer_start`/`answer_end`."""
    first, last = data.sentences[extraction.sentences[0]], data.sentences[extraction.sentences[-1]]
    scored = {h.passage for h in extraction.ranked_hits}
    citations = []
    seen: set[str] = set()  # a passage whose words another cited one has (syndicated copies) is cited once
    for hit in [*extraction.ranked_hits, *(h for h in hits if h.passage not in scored)]:
        if len(citations) == k:
            break
        p = data.passages[hit.passage]
        words = " ".join(p.text.casefold().split())
        if words in seen:
            continue
        seen.add(words)
        inside = found and p.source == first.source and p.start <= first.start and last.end <= p.end
        citations.append(_citation(p, hit, (first, last) if inside else None))
    return citations


def _citation(p: PassageRecord, hit: Hit, answer: tuple[SentenceRecord, SentenceRecord] | None) -> Citation:
    """Passage `p` as a citation, marking the answer from sentence `answer[0]` to `answer[1]`."""
    return Citation(
        source=p.source,
        start=p.start,
        end=p.end,
        text=p.text,
        section=p.section,
        score=round(hit.score, 4),
        answer_start=answer[0].start - p.start if answer else None,
        answer_end=answer[1].end - p.start if answer else None,
        page=p.page,
    )


def alternative_citations(data: IndexData, extraction: Extraction) -> list[Citation]:
    """The passages of other documents' answers that give another value of what was asked, each
    marking its answer with `answer_start`/`answer_end`."""
    return [
        _citation(data.passages[hit.passage], hit, (data.sentences[rows[0]], data.sentences[rows[-1]]))
        for rows, hit in extraction.alternatives
    ]


def answer_text(citations: Sequence[Citation]) -> str:
    """The answer, copied from the first citation (empty when it marks none)."""
    if not citations or citations[0].answer_start is None:
        return ""
    c = citations[0]
    return c.text[c.answer_start : c.answer_end]
