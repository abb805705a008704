"""Lexical matching: BM25 (bm25s, Snowball stemming, English stop words) and term overlap.

Words are folded to American spelling (breame's British-to-American list) before stemming, so a
question about a "tumour" or "commercialising" matches a corpus that writes "tumor" and
"commercializing": the Snowball stemmer alone keeps the two spellings apart."""

from __future__ import annotations

import difflib
import logging
import math
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Any, Collection, Sequence

import numpy as np
import Stemmer
from breame.spelling import get_american_spelling

# Words of two or more characters, plus single digits ("Phase 2" is not "Phase 3") and
# ampersand compounds ("R&D").
TOKEN_PATTERN = r"(?u)\b\w+(?:&\w+)+\b|\b\w\w+\b|\b\d\b"

MIN_ALIKE_CHARS = 5  # `LexicalIndex.knows`: shorter terms are near too many others to match by spelling
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


def held_alike(term: str, known: Collection[str], spelled_alike: float = 1.0) -> bool:
    """Whether `known` holds `term` or, below 1.0, a term spelled like it to at least this
    similarity (difflib's ratio), looked for among the terms of the same first letter and about
    the same length; a term shorter than MIN_ALIKE_CHARS must be held as it is."""
    if term in known or spelled_alike >= 1.0 or len(term) < MIN_ALIKE_CHARS:
        return term in known
    matcher = difflib.SequenceMatcher(b=term, autojunk=False)
    for other in known:
        if other[:1] == term[:1] and abs(len(other) - len(term)) <= 2:
            matcher.set_seq1(other)
            if matcher.ratio() >= spelled_alike:
                return True
    return False


def _index(tokenized: Sequence[Sequence[str]]) -> Any:
    bm25 = _bm25s().BM25()
    bm25.index(tokenized, show_progress=False)
    return bm25


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
    """BM25 over a fixed list of texts, plus the corpus statistics for term-overlap scores.

    A build makes one from the texts' terms (`from_terms`) and saves it (`save`); `load` reads it
    back memory-mapped, so opening an index does not tokenize its texts again."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._setup(_index(terms(texts)), len(texts))

    @classmethod
    def from_terms(cls, tokenized: Sequence[Sequence[str]]) -> "LexicalIndex":
        """The index of texts already split into `terms`."""
        lexical = cls.__new__(cls)
        lexical._setup(_index(tokenized), len(tokenized))
        return lexical

    @classmethod
    def from_term_ids(cls, ids: np.ndarray, lengths: np.ndarray, words: Sequence[str]) -> "LexicalIndex":
        """The index of texts whose terms are numbers: text i holds `lengths[i]` terms, in turn
        from `ids`, each the position of its word in `words`. The scores are bm25s's (Lucene
        BM25, k1 1.5, b 0.75, as `from_terms` gives for the same terms), computed in a few array
        operations: a million texts need no Python object each."""
        bm25 = _bm25s().BM25()
        if bm25.method != "lucene" or bm25.idf_method not in (None, "lucene"):
            raise RuntimeError(f"bm25s scores by {bm25.method}; tilqa computes Lucene BM25")
        n_docs = len(lengths)
        ids, lengths = np.asarray(ids, dtype=np.int64), np.asarray(lengths, dtype=np.int64)
        columns, ids = np.unique(ids, return_inverse=True)  # only words the texts hold
        docs = np.repeat(np.arange(n_docs, dtype=np.int64), lengths)
        pairs, tf = np.unique(ids * max(n_docs, 1) + docs, return_counts=True)  # sorted by column, then text
        del docs, ids
        column, doc = pairs // max(n_docs, 1), pairs % max(n_docs, 1)
        del pairs
        df = np.bincount(column, minlength=len(columns))
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        length = lengths[doc]
        average = lengths.mean() if n_docs else 1.0
        tfc = tf.astype(np.float32) / (bm25.k1 * ((1 - bm25.b) + bm25.b * length / average) + tf.astype(np.float32))
        bm25.scores = {
            "data": (idf[column] * tfc).astype(bm25.dtype),
            "indices": doc.astype(bm25.int_dtype),
            "indptr": np.concatenate([[0], np.cumsum(df)]).astype(bm25.int_dtype),
            "num_docs": n_docs,
        }
        vocabulary = {words[c]: i for i, c in enumerate(columns.tolist())}
        vocabulary.setdefault("", len(vocabulary))  # as bm25s adds: the column of a text without terms
        bm25.vocab_dict = vocabulary
        bm25.unique_token_ids_set = set(vocabulary.values())
        bm25.nonoccurrence_array = None
        lexical = cls.__new__(cls)
        lexical._setup(bm25, n_docs)
        return lexical

    @classmethod
    def load(cls, folder: Path) -> "LexicalIndex":
        """An index `save` wrote, its score matrix memory-mapped.

        :raises OSError, ValueError: when the folder is missing or its files cannot be read.
        """
        bm25 = _bm25s().BM25.load(str(folder), mmap=True, show_progress=False)
        lexical = cls.__new__(cls)
        lexical._setup(bm25, int(bm25.scores["num_docs"]))
        return lexical

    def save(self, folder: Path) -> None:
        self._bm25.save(str(folder), show_progress=False)

    def _setup(self, bm25: Any, size: int) -> None:
        self._bm25 = bm25
        self._size = size
        # A term's document frequency is the length of its column of the BM25 score matrix (every
        # text holding the term has a positive score for it).
        self._vocabulary: dict[str, int] = bm25.vocab_dict
        self._document_frequency = np.diff(np.asarray(bm25.scores["indptr"]))
        self._n = max(size, 1)
        self.unseen_idf = math.log(1 + (self._n + 0.5) / 0.5)

    def __len__(self) -> int:
        return self._size

    def knows(self, term: str, spelled_alike: float = 1.0) -> bool:
        """Whether some text holds `term` (a stemmed term, as `terms` gives) or, below 1.0, a term
        spelled like it to at least this similarity (difflib's ratio: "cysippid" for "cydippid"),
        looked for among the terms of the same first letter and about the same length; a term
        shorter than MIN_ALIKE_CHARS must be held as it is."""
        return bool(term) and held_alike(term, self._vocabulary, spelled_alike)

    def idf(self, term: str) -> float:
        column = self._vocabulary.get(term)
        if column is None or not term:
            return self.unseen_idf
        df = int(self._document_frequency[column])
        return math.log(1 + (self._n - df + 0.5) / (df + 0.5))

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
