"""Passage retrieval: dense (FAISS inner product) and BM25, fused into one ranking."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import Settings
from .index import IndexData
from .index.vectors import top_rows


# With an approximate sentence index, the sentences found for a question: this many for each
# passage retrieval wants.
SENTENCES_PER_PASSAGE = 4


@dataclass(frozen=True)
class Hit:
    """One retrieved passage: its row in the index and the scores that ranked it."""

    passage: int
    score: float  # fused, in [0, 1]: 1 for the best passage
    dense: float  # cosine similarity with the question
    bm25: float  # raw BM25 score


class Retriever:
    """Ranks the passages of one loaded index for a question vector and text."""

    def __init__(self, data: IndexData, settings: Settings) -> None:
        self.data = data
        self.settings = settings
        self.lexical = data.passage_lexical
        # Multi-vector dense scoring: a passage is as close as its closest sentence, so a passage
        # whose one sentence answers is not diluted by the rest of it. Slot i of the passages'
        # sentence lists holds sentence _sentence_passage[i] of passage _passage_of[i].
        self._sentence_passage = np.asarray(data.passages.sentence_rows)
        self._passage_of = data.passages.passage_of_sentence_slots()
        if data.sentence_search is not None:  # the slots of each sentence, to go from sentences found to passages
            self._slots_by_sentence = np.argsort(self._sentence_passage, kind="stable")
            self._sorted_sentences = self._sentence_passage[self._slots_by_sentence]

    def search(self, question: str, vector: np.ndarray, limit: int) -> list[Hit]:
        """The best `limit` passages, best first."""
        n = len(self.data.passages)
        if n == 0 or limit < 1:
            return []
        k = min(n, max(self.settings.candidates, limit))
        dense = self._dense(vector, k)
        dense_candidates = [int(r) for r in top_rows(dense, k)]
        bm25 = self.lexical.scores(question)
        fused = self._fuse(dense, bm25, dense_candidates, k)
        order = top_rows(fused, limit)
        top = float(fused[order[0]]) or 1.0
        return [
            Hit(passage=int(i), score=float(fused[i]) / top, dense=float(dense[i]), bm25=float(bm25[i])) for i in order
        ]

    def _dense(self, vector: np.ndarray, k: int) -> np.ndarray:
        """Per passage: max of its own and its sentences' similarity (FAISS top-k passages)."""
        dense = np.full(len(self.data.passages), -1.0, dtype=np.float32)
        scores, rows = self.data.passage_vectors.search(vector.reshape(1, -1), k)
        found = rows[0] >= 0
        dense[rows[0][found]] = scores[0][found]
        if self.data.sentence_search is None:  # every sentence compared
            sentence_scores = self.data.sentence_vectors @ vector
            np.maximum.at(dense, self._passage_of, sentence_scores[self._sentence_passage])
            return dense
        # An approximate index: the sentences nearest the question, a few for each passage wanted.
        scores, rows = self.data.sentence_search.search(vector.reshape(1, -1), SENTENCES_PER_PASSAGE * k)
        found = rows[0] >= 0
        rows, scores = rows[0][found], scores[0][found]
        first = np.searchsorted(self._sorted_sentences, rows, side="left")
        last = np.searchsorted(self._sorted_sentences, rows, side="right")
        counts = last - first
        slots = self._slots_by_sentence[np.repeat(first, counts) + _ranges(counts)]
        np.maximum.at(dense, self._passage_of[slots], np.repeat(scores, counts))
        return dense

    def _fuse(self, dense: np.ndarray, bm25: np.ndarray, dense_candidates: list[int], k: int) -> np.ndarray:
        mode, s = self.settings.retrieval, self.settings
        if mode == "dense":
            return np.where(np.isin(np.arange(len(dense)), dense_candidates), dense + 1.0, 0.0)
        if mode == "bm25":
            return bm25.astype(np.float64)
        if s.fusion == "rrf":
            fused = np.zeros(len(dense))
            for rank, row in enumerate(dense_candidates):
                fused[row] += s.dense_weight / (s.rrf_k + rank + 1)
            for rank, row in enumerate(top_rows(bm25, k)):
                if bm25[row] > 0:
                    fused[row] += (1 - s.dense_weight) / (s.rrf_k + rank + 1)
            return fused
        top_bm25 = float(bm25.max())
        lexical = bm25 / top_bm25 if top_bm25 > 0 else bm25
        return s.dense_weight * np.clip(dense, 0, None) + (1 - s.dense_weight) * lexical


def _ranges(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, c - 1 for each count c, concatenated."""
    ends = np.cumsum(counts)
    return np.arange(int(ends[-1]) if len(ends) else 0) - np.repeat(ends - counts, counts)
