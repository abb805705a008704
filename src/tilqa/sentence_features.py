"""What a build computes once about each sentence, for answer scoring: which sentence an
anaphoric one refers back to, and how typical a sentence is of its document.

Both depend only on a document's own sentences, so a build computes them document by document
as it goes and the index stores them; nothing scans the whole index when it is loaded.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

# A sentence opening with an anaphor ("This acquisition…", "These collaborations…") or an
# elaborating connective ("For instance, …") continues the one before it: the two are one thought.
# A best sentence that opens so comes with the sentence before it, which says what "this study"
# is; a best sentence whose thought the next one continues comes with that one (answer.py). When
# scoring by tokens, such a sentence is also matched with the tokens of the one before it.
ANAPHOR = re.compile(r"^\W*(This|These|Those|That|Such|It|They|Its|Their|For (example|instance)|In particular|Specifically)\b")


def antecedents(passages: Sequence[Sequence[int]], text_of: Sequence[str], first_row: int = 0) -> np.ndarray:
    """For each of a document's sentences (rows `first_row`, `first_row + 1`, … in `passages`,
    its passages' sentence rows, and `text_of`, their texts in order), the row of the sentence
    before it in the first passage where it has one, when it opens with an anaphor; else -1."""
    out = np.full(len(text_of), -1, dtype=np.int64)
    for rows in passages:
        for before, row in zip(rows, rows[1:]):
            local = row - first_row
            if out[local] < 0 and ANAPHOR.match(text_of[local]):
                out[local] = before
    return out


def typicality(vectors: np.ndarray) -> np.ndarray:
    """Each of a document's sentences' mean cosine similarity to its other sentences (0 for a
    document of one sentence), from their unit vectors."""
    v = np.asarray(vectors, dtype=np.float32)
    if len(v) < 2:
        return np.zeros(len(v))
    return (v @ v.sum(axis=0) - (v * v).sum(axis=1)) / (len(v) - 1)
