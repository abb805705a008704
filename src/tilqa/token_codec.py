"""Compact token vectors: product quantization (FAISS's `ProductQuantizer`).

Token-level scoring keeps a vector for every token of every sentence: 384 float16 numbers, 768
bytes a token, about 26 KiB a sentence. A product quantizer cuts each vector into `SUBVECTORS`
pieces and stores, for each piece, which of 256 centroids (learned from the index's own token
vectors) is nearest: one byte a piece, 48 bytes a token, about 1.7 KiB a sentence. Scoring
decodes the few hundred token vectors of a question's candidate sentences back to unit vectors.

The codebook is trained once per index, on its first build holding at least `MIN_TRAINING_TOKENS`
token vectors, and kept by every later build, so unchanged sentences keep their codes and new ones
are coded with it (delete `index/` to train a new one, e.g. after the corpus changed subject); a
smaller index keeps float16 vectors (it is small anyway) until it grows past that size.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

SUBVECTORS = 48  # bytes a token; 384 / 48 = 8 dimensions a piece for MiniLM
BITS = 8  # 256 centroids a piece
# FAISS's k-means wants at least 39 points a centroid (9,984 for 256) for a good fit. An index with
# fewer token vectors keeps them as float16: at most 7.3 MiB, and its answers exactly as they were
# (the shipped corpus has 3,299: coded, it lost one answer of the 40 development questions and one
# of blind-a's 45; see benchmarks/token_compression.py).
MIN_TRAINING_TOKENS = 39 * 256
MAX_TRAINING_TOKENS = 16_384  # a seeded sample (64 a centroid): training takes seconds, not minutes
SEED = 1234
ENCODE_BATCH = 16_384


def subvectors_for(dimension: int) -> int:
    """The number of pieces for vectors of `dimension`: `SUBVECTORS` when it divides it, else the
    largest divisor below it."""
    return next(m for m in range(min(SUBVECTORS, dimension), 0, -1) if dimension % m == 0)


@dataclass(frozen=True)
class TokenCodec:
    """A trained product quantizer: `centroids[m]` holds the 256 centroids of piece m."""

    centroids: np.ndarray  # float32 (pieces, 256, dimension // pieces)

    @property
    def dimension(self) -> int:
        return int(self.centroids.shape[0] * self.centroids.shape[2])

    @property
    def pieces(self) -> int:
        return int(self.centroids.shape[0])

    @classmethod
    def train(cls, vectors: np.ndarray) -> "TokenCodec":
        """Fit a codebook to (a seeded sample of) `vectors`, at least `MIN_TRAINING_TOKENS` rows."""
        import faiss

        if len(vectors) < MIN_TRAINING_TOKENS:
            raise ValueError(f"training a token codebook needs {MIN_TRAINING_TOKENS} vectors, got {len(vectors)}")
        rng = np.random.default_rng(SEED)
        sample = vectors if len(vectors) <= MAX_TRAINING_TOKENS else vectors[rng.choice(len(vectors), MAX_TRAINING_TOKENS, replace=False)]
        sample = np.ascontiguousarray(sample, dtype=np.float32)
        dimension = sample.shape[1]
        pieces = subvectors_for(dimension)
        pq = faiss.ProductQuantizer(dimension, pieces, BITS)
        pq.verbose = False
        pq.cp.min_points_per_centroid = 1  # a benchmark may train below FAISS's advice, quietly
        pq.train(sample)
        centroids = faiss.vector_to_array(pq.centroids).reshape(pieces, 1 << BITS, dimension // pieces)
        log.info("trained a token codebook on %d token vectors (%d bytes a token)", len(sample), pieces)
        return cls(centroids.astype(np.float32))

    def encode(self, vectors: np.ndarray) -> np.ndarray:
        """The code of each vector: uint8 (rows, pieces), the nearest centroid of each piece."""
        codes = np.empty((len(vectors), self.pieces), dtype=np.uint8)
        squared = (self.centroids**2).sum(axis=2)  # (pieces, 256)
        for first in range(0, len(vectors), ENCODE_BATCH):  # bounded memory for any size
            rows = np.asarray(vectors[first : first + ENCODE_BATCH], dtype=np.float32).reshape(-1, self.pieces, self.dimension // self.pieces)
            for m in range(self.pieces):  # nearest of 256 centroids, piece by piece
                distances = squared[m] - 2 * rows[:, m, :] @ self.centroids[m].T
                codes[first : first + len(rows), m] = distances.argmin(axis=1)
        return codes

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Unit vectors back from codes: float32 (rows, dimension)."""
        codes = np.asarray(codes)
        vectors = self.centroids[np.arange(self.pieces), codes].reshape(len(codes), -1)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)
