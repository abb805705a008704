"""A build's token rows: their spans (filled in once a row is written), coding them with the
token codebook, sharing an earlier build's segment files, and the document frequency of token
ids that token scoring weighs by.

A token span names a segment, and the start and end of the row in it; `NEW` stands for the
segment this build writes, numbered when the build finishes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from ..encoders import TokenVectors
from ..index import files as f
from ..token_codec import TokenCodec
from ..token_scoring import TOKEN_SPAN
from .columns import Column

NEW = -1  # the segment of a token span in this build's own segment


class TokenSpans(Column):
    """A growing array of token spans that can be filled in later (rows waiting for a codebook)."""

    def __init__(self) -> None:
        super().__init__(TOKEN_SPAN)

    def append(self, segment: int, start: int, end: int) -> int:
        """Add a span; returns its row, by which it can be filled in later."""
        self._room(1)
        self.array[self.size] = (segment, start, end)
        self.size += 1
        return self.size - 1


def share_file(source: Path, target: Path) -> None:
    """Share an immutable file with another build: a hard link, or a copy where links fail."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def encode_tokens(rows: Sequence[TokenVectors], codec: TokenCodec) -> list[TokenVectors]:
    """`rows` (float16 token vectors) as codes of `codec`, in one pass."""
    if not rows:
        return []
    codes = codec.encode(np.concatenate([t.vectors for t in rows]))
    at = np.concatenate([[0], np.cumsum([len(t.ids) for t in rows])])
    return [TokenVectors(t.ids, codes[at[i] : at[i + 1]]) for i, t in enumerate(rows)]


def document_frequency(folder: Path, sentence_spans: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The number of sentences holding each token id, from the sentences' token spans
    (`sentence_spans`, their segments numbered as in `names`, this build's list of segments in
    `folder`)."""
    df = np.zeros(0, dtype=np.int64)
    for number, name in enumerate(names):
        ids = np.load(f.segment_files(folder, name)[0], mmap_mode="r")
        rows = np.flatnonzero(sentence_spans["segment"] == number)
        for first in range(0, len(rows), 65_536):
            block = rows[first : first + 65_536]
            starts, ends = sentence_spans["start"][block], sentence_spans["end"][block]
            lengths = ends - starts
            if not lengths.sum():
                continue
            at = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
            pairs = np.unique(np.repeat(block.astype(np.int64), lengths) << 32 | np.asarray(ids[at], dtype=np.int64))
            counts = np.bincount(pairs & 0xFFFFFFFF)
            if len(counts) > len(df):
                df = np.pad(df, (0, len(counts) - len(df)))
            df[: len(counts)] += counts
    return df
