"""What a build keeps in memory until it finishes: columns of numbers that grow as documents
stream in, and each text's BM25 terms as numbers of one vocabulary (4 bytes a term, no object a
text)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..lexical import LexicalIndex, terms


class Column:
    """A one-dimensional array that grows by doubling."""

    def __init__(self, dtype: np.dtype | type) -> None:
        self.array = np.zeros(1024, dtype=dtype)
        self.size = 0

    def _room(self, more: int) -> None:
        if self.size + more > len(self.array):
            self.array = np.resize(self.array, max(2 * len(self.array), self.size + more))

    def extend(self, values: np.ndarray) -> None:
        """Append `values`."""
        self._room(len(values))
        self.array[self.size : self.size + len(values)] = values
        self.size += len(values)

    def view(self) -> np.ndarray:
        """The values so far (a view: valid until the next `extend`)."""
        return self.array[: self.size]


class Terms:
    """Each text's BM25 terms as numbers of one growing vocabulary, in one flat array (4 bytes a
    term, no object a text) until the build finishes; two `Terms` may share one vocabulary."""

    def __init__(self, vocabulary: dict[str, int]) -> None:
        self.vocabulary = vocabulary
        self.ids = Column(np.int32)
        self.lengths = Column(np.int32)

    def add(self, texts: Sequence[str]) -> None:
        """Add the terms of each of `texts`, in order."""
        tokenized = terms(texts)
        self.lengths.extend(np.array([len(words) for words in tokenized], dtype=np.int32))
        self.ids.extend(np.array(
            [self.vocabulary.setdefault(w, len(self.vocabulary)) for words in tokenized for w in words], dtype=np.int32
        ))

    def index(self) -> LexicalIndex:
        """The BM25 index of every text added."""
        return LexicalIndex.from_term_ids(self.ids.view(), self.lengths.view(), list(self.vocabulary))
