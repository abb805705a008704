"""Answer extraction: pick the sentence of the retrieved passages that best answers the question,
and say how confident that is."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .index import IndexData
from .lexical import LexicalIndex, terms
from .retrieval import Hit

# Sentence score = weighted sum of the sentence's own dense similarity, its lexical coverage of
# the question (with its heading path), and its passage's fused retrieval score.
SENTENCE_WEIGHTS = {"dense": 0.5, "lexical": 0.3, "passage": 0.2}

# Confidence = logistic(bias + sum(weight * feature)); see `benchmarks/calibrate.py`.
CONFIDENCE_WEIGHTS = {"bias": -6.0, "dense": 6.0, "coverage": 6.0}

MIN_ANSWER_WORDS = 6  # a best sentence shorter than this is a fragment: the next one completes it


@dataclass(frozen=True)
class Candidate:
    sentence: int
    hit: Hit
    dense: float
    lexical: float
    score: float


@dataclass(frozen=True)
class Extraction:
    """The chosen answer: sentence rows (one or two) inside `hit`'s passage, and its confidence."""

    sentences: tuple[int, ...]
    hit: Hit
    score: float
    confidence: float


class AnswerExtractor:
    """Scores candidate sentences of one loaded index."""

    def __init__(self, data: IndexData, lexical: LexicalIndex) -> None:
        self.data = data
        self.lexical = lexical
        section_terms = {p.section: set(terms([p.section])[0]) for p in data.passages}
        sentence_terms = [set(t) for t in terms([s.text for s in data.sentences])] if data.sentences else []
        # Terms of each sentence together with the heading path of its (first) passage.
        self._terms: list[set[str]] = list(sentence_terms)
        for p in data.passages:
            for row in p.sentences:
                self._terms[row] = sentence_terms[row] | section_terms[p.section]

    def candidates(self, question: str, vector: np.ndarray, hits: list[Hit]) -> list[Candidate]:
        """Every sentence of the hits' passages, scored, best first."""
        q_terms = terms([question])[0]
        best: dict[int, Candidate] = {}
        w = SENTENCE_WEIGHTS
        for hit in hits:
            for row in self.data.passages[hit.passage].sentences:
                dense = float(self.data.sentence_vectors[row] @ vector)
                lexical = self.lexical.coverage(q_terms, self._terms[row])
                score = w["dense"] * dense + w["lexical"] * lexical + w["passage"] * hit.score
                if row not in best or score > best[row].score:
                    best[row] = Candidate(row, hit, dense, lexical, score)
        return sorted(best.values(), key=lambda c: -c.score)

    def extract(self, question: str, vector: np.ndarray, hits: list[Hit]) -> Extraction | None:
        ranked = self.candidates(question, vector, hits)
        if not ranked:
            return None
        top = ranked[0]
        rows = self._complete(top.sentence, top.hit)
        q_terms = terms([question])[0]
        passage = self.data.passages[top.hit.passage]
        coverage = self.lexical.coverage(q_terms, set(terms([f"{passage.section}\n{passage.text}"])[0]))
        return Extraction(rows, top.hit, top.score, confidence(top.dense, coverage))

    def _complete(self, row: int, hit: Hit) -> tuple[int, ...]:
        """The sentence, plus the next one of the same passage when the sentence is a fragment."""
        rows = self.data.passages[hit.passage].sentences
        text = self.data.sentences[row].text.strip()
        fragment = len(text.split()) < MIN_ANSWER_WORDS or text.endswith(":")
        position = rows.index(row)
        if fragment and position + 1 < len(rows):
            return (row, rows[position + 1])
        return (row,)


def confidence(dense: float, coverage: float) -> float:
    """How likely the corpus answers the question, in [0, 1], from the best sentence's scores."""
    w = CONFIDENCE_WEIGHTS
    z = w["bias"] + w["dense"] * dense + w["coverage"] * coverage
    return 1.0 / (1.0 + math.exp(-z))
