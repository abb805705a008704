"""Lexical matching: BM25 (bm25s, Snowball stemming, English stop words) and term overlap.

Words are folded to American spelling (breame's British-to-American list) before stemming, so a
question about a "tumour" or "commercialising" matches a corpus that writes "tumor" and
"commercializing": the Snowball stemmer alone keeps the two spellings apart."""

from __future__ import annotations

import logging
import math
import unicodedata
from collections import Counter
from functools import lru_cache
from typing import Sequence

import numpy as np
import Stemmer
from breame.spelling import get_american_spelling

# Words of two or more characters, plus single digits ("Phase 2" is not "Phase 3") and
# ampersand compounds ("R&D").
TOKEN_PATTERN = r"(?u)\b\w+(?:&\w+)+\b|\b\w\w+\b|\b\d\b"

_FOLD = str.maketrans({"‐": "-", "‑": "-", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"'})


@lru_cache(maxsize=1)
def _bm25s():
    """bm25s, imported on first use (it loads scipy: a fifth of a second)."""
    import bm25s

    # bm25s sets its own logger to DEBUG on import; let the application's configuration decide.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _stem(words: list[str]) -> list[str]:
    """American spelling first ("tumour" -> "tumor"), then the Snowball stem."""
    return _stemmer().stemWords([get_american_spelling(w) for w in words])


def fold(text: str) -> str:
    """Unicode dashes and quotes to ASCII, compatibility forms (e.g. full-width) folded."""
    return unicodedata.normalize("NFKC", text).translate(_FOLD)


def terms(texts: Sequence[str]) -> list[list[str]]:
    """Stemmed, lower-cased content terms of each text (stop words removed)."""
    return _bm25s().tokenize(
        [fold(t) for t in texts],
        token_pattern=TOKEN_PATTERN,
        stopwords="en_plus",  # NLTK's 179 words: question words ("what", "how") are not content
        stemmer=_stem,
        return_ids=False,
        show_progress=False,
    )


class LexicalIndex:
    """BM25 over a fixed list of texts, plus the corpus statistics for term-overlap scores."""

    def __init__(self, texts: Sequence[str]) -> None:
        tokenized = terms(texts)
        self._bm25 = _bm25s().BM25()
        self._bm25.index(tokenized, show_progress=False)
        self._size = len(texts)
        document_frequency = Counter(t for doc in tokenized for t in set(doc))
        n = max(len(texts), 1)
        self._idf = {t: math.log(1 + (n - df + 0.5) / (df + 0.5)) for t, df in document_frequency.items()}
        self.unseen_idf = math.log(1 + (n + 0.5) / 0.5)

    def __len__(self) -> int:
        return self._size

    def idf(self, term: str) -> float:
        return self._idf.get(term, self.unseen_idf)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every text for the query (0 where no term matches)."""
        query_terms = terms([query])[0]
        if not query_terms or self._size == 0:
            return np.zeros(self._size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_terms), dtype=np.float32)

    def coverage(self, query_terms: Sequence[str], text_terms: set[str]) -> float:
        """IDF-weighted share of the query's terms found in a text (words unseen in the corpus
        weigh most: a question about something the corpus never mentions covers little)."""
        if not query_terms:
            return 0.0
        unique = set(query_terms)
        total = sum(self.idf(t) for t in unique)
        return sum(self.idf(t) for t in unique if t in text_terms) / total
