"""Token-level similarity of a question and a sentence (late interaction, ColBERT's MaxSim).

One sentence vector averages all of a sentence's tokens, so a sentence that repeats a question's
topic words can outscore the one holding what the question asks about. Late interaction keeps the
model's contextual token vectors instead: each content token of the question is matched with the
most similar token of the sentence or of the heading it sits under (a question may name the topic
or section, "according to the conclusion", rather than the sentence's words), and the matches are
averaged, weighted by how rare the token is among the corpus's sentences (its IDF), so "metabolic"
counts for more than "Iovance". A sentence that refers back to the one before it ("This innovation
is significant for patients whose…") is matched with that sentence's tokens as well, since its
subject is there. Nothing is trained: the vectors are the embedding model's own token
outputs, stored in the index at build time, from the same forward pass as the sentence vectors.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Sequence

import numpy as np

from .token_codec import TokenCodec


@lru_cache(maxsize=1)
def _stop_words() -> frozenset[str]:
    """NLTK's English stop words as bm25s ships them, the list the lexical side uses."""
    from bm25s.stopwords import STOPWORDS_EN_PLUS

    return frozenset(STOPWORDS_EN_PLUS)


def content_mask(pieces: Sequence[str]) -> np.ndarray:
    """Which tokenizer pieces carry content: they hold a letter or digit and are not a stop word
    ("##", "▁" and "Ġ" word-piece marks ignored)."""
    words = [piece.lstrip("#▁Ġ").lower() for piece in pieces]
    stop = _stop_words()
    return np.array([any(c.isalnum() for c in w) and w not in stop for w in words], dtype=bool)


@dataclass(frozen=True)
class QuestionTokens:
    """A question's token ids and vectors, and which of them carry content."""

    ids: np.ndarray
    vectors: np.ndarray
    content: np.ndarray


@dataclass(frozen=True)
class SentenceTokens:
    """Token vectors of every sentence, then of every heading, stacked: token row r (sentence r,
    or a heading after the sentences) owns tokens offsets[r]:offsets[r + 1].

    The vectors are stored either as float16 (`vectors`) or, in an index large enough to train a
    codebook, as product-quantization codes (`codes`, decoded by `codec`): see token_codec.py.
    """

    offsets: np.ndarray  # int64, one more than there are token rows
    ids: np.ndarray  # int32
    vectors: np.ndarray | None  # float16, L2-normalised (None when stored as codes)
    headings: np.ndarray  # int32, per sentence: the token row of its heading, -1 for none
    codes: np.ndarray | None = None  # uint8 (tokens, pieces)
    codec: TokenCodec | None = None

    def unit_vectors(self, start: int, end: int) -> np.ndarray:
        """Tokens start:end as float32 unit vectors (decoded when stored as codes)."""
        if self.codes is not None and self.codec is not None:
            return self.codec.decode(self.codes[start:end])
        assert self.vectors is not None
        return np.asarray(self.vectors[start:end], dtype=np.float32)


class TokenScorer:
    """MaxSim of a question's content tokens against sentences of one index, IDF-weighted."""

    def __init__(self, tokens: SentenceTokens, antecedents: Mapping[int, int] | None = None) -> None:
        """`antecedents` maps a sentence that refers back to another to that sentence's row."""
        self.tokens = tokens
        self.antecedents = dict(antecedents or {})
        n = len(tokens.headings)
        vocabulary = int(tokens.ids.max()) + 1 if len(tokens.ids) else 0
        sentence_offsets = tokens.offsets[: n + 1]
        sentence_of = np.repeat(np.arange(n, dtype=np.int64), np.diff(sentence_offsets))
        # Each (sentence, token id) pair once: the number of sentences holding each token id.
        pairs = np.unique(sentence_of * max(vocabulary, 1) + tokens.ids[: sentence_offsets[-1]])
        df = np.bincount(pairs % max(vocabulary, 1), minlength=vocabulary)
        self._idf = np.log1p((n - df + 0.5) / (df + 0.5))
        self._unseen_idf = float(np.log1p((n + 0.5) / 0.5))  # as the lexical index weighs it

    def scores(self, question: QuestionTokens, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For each sentence row, two scores, in one pass: the IDF-weighted mean, over the
        question's content tokens, of the cosine similarity of the closest token of the sentence
        or of its antecedent (if it has one) or heading, and the same of the sentence's own tokens
        alone; 0 when nothing can be matched."""
        in_context = np.zeros(len(rows), dtype=np.float64)
        own = np.zeros(len(rows), dtype=np.float64)
        keep = question.content
        if not keep.any():
            return in_context, own
        ids = question.ids[keep]
        weights = np.array(
            [self._idf[i] if i < len(self._idf) else self._unseen_idf for i in ids.tolist()]
        )
        weights = weights / weights.sum()
        q = question.vectors[keep].astype(np.float32)
        # Each token row once: sentences share headings, and an antecedent is often a candidate too.
        best: dict[int, np.ndarray | None] = {}

        def matches(row: int) -> np.ndarray | None:
            if row not in best:
                best[row] = self._best(q, row)
            return best[row]

        for k, row in enumerate(rows):
            sentence = matches(row)
            before = matches(self.antecedents[row]) if row in self.antecedents else None
            heading = int(self.tokens.headings[row])
            under = matches(heading) if heading >= 0 else None
            if sentence is not None:
                own[k] = float(sentence @ weights)
            found = [b for b in (sentence, before, under) if b is not None]
            if found:
                in_context[k] = float(np.max(found, axis=0) @ weights)
        return in_context, own

    def _best(self, q: np.ndarray, row: int) -> np.ndarray | None:
        """Per question token, its highest similarity to a token of token row `row` (None when
        the row holds no token)."""
        start, end = int(self.tokens.offsets[row]), int(self.tokens.offsets[row + 1])
        if end == start:
            return None
        return (q @ self.tokens.unit_vectors(start, end).T).max(axis=1)
