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
from typing import Sequence

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


# Where a token row's tokens are: in which segment, from which token to which.
TOKEN_SPAN = np.dtype([("segment", "<i4"), ("start", "<i8"), ("end", "<i8")])


@dataclass(frozen=True)
class TokenSegment:
    """Token ids and their vectors, as one build wrote them: float16 unit vectors (an index too
    small to train a codebook) or uint8 product-quantization codes (see token_codec.py)."""

    ids: np.ndarray  # int32 (tokens,)
    values: np.ndarray  # float16 (tokens, dimension) or uint8 (tokens, pieces)


@dataclass(frozen=True)
class SentenceTokens:
    """Token vectors of every sentence, then of every heading a sentence sits directly under: token
    row r (sentence r, or a heading after the sentences) owns tokens `spans[r]["start"]` to
    `spans[r]["end"]` of segment `spans[r]["segment"]`.

    Segments are immutable files a build writes once and later builds share, so a rebuild writes
    the token vectors of new text only. `idf[i]` weighs token id i by the number of sentences
    holding it; the build counts it.
    """

    spans: np.ndarray  # TOKEN_SPAN, one per token row
    segments: tuple[TokenSegment, ...]
    headings: np.ndarray  # int32, per sentence: the token row of its heading, -1 for none
    idf: np.ndarray  # float64, per token id
    codec: TokenCodec | None = None  # the codebook of segments holding codes

    def ids(self, row: int) -> np.ndarray:
        segment, start, end = self.spans[row].tolist()
        return self.segments[segment].ids[start:end]

    def stored(self, row: int) -> np.ndarray:
        """Row `row`'s vectors as stored: float16 vectors or uint8 codes."""
        segment, start, end = self.spans[row].tolist()
        return self.segments[segment].values[start:end]

    def unit_vectors(self, row: int) -> np.ndarray:
        """Row `row`'s token vectors as float32 unit vectors (decoded when stored as codes)."""
        values = self.stored(row)
        if values.dtype == np.uint8:
            assert self.codec is not None
            return self.codec.decode(values)
        return np.asarray(values, dtype=np.float32)


def token_idf(document_frequency: np.ndarray, sentences: int) -> np.ndarray:
    """IDF of each token id from the number of sentences holding it, as the lexical side weighs
    terms."""
    return np.log1p((sentences - document_frequency + 0.5) / (document_frequency + 0.5))


class TokenScorer:
    """MaxSim of a question's content tokens against sentences of one index, IDF-weighted."""

    def __init__(self, tokens: SentenceTokens, antecedents: np.ndarray | None = None) -> None:
        """`antecedents[row]` is the row of the sentence an anaphoric sentence refers back to,
        or -1 (default: none does)."""
        self.tokens = tokens
        n = len(tokens.headings)
        self.antecedents = np.full(n, -1, dtype=np.int64) if antecedents is None else antecedents
        self._idf = tokens.idf
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
            antecedent = int(self.antecedents[row])
            before = matches(antecedent) if antecedent >= 0 else None
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
        vectors = self.tokens.unit_vectors(row)
        if len(vectors) == 0:
            return None
        return (q @ vectors.T).max(axis=1)
