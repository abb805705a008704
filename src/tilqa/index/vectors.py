"""The FAISS indexes over passage and sentence vectors: exact search up to `ANN_MIN_VECTORS`
vectors, an inverted-file index (IVF) above, whose recall against exact search is measured when
it is built and recorded in the manifest.

Exact search reads every vector for every question: at 10,000 passages that is a few milliseconds,
at a million a tenth of a second and more. IVF clusters the vectors (k-means, `4 * sqrt(n)` lists)
and compares a question with the vectors of its `nprobe` nearest clusters only, each held as 8-bit
scalar-quantized codes (`IndexIVFScalarQuantizer`, a quarter of float32's size, so building a
million-vector index needs no more memory than its codes). It finds `OVERFETCH` times the rows
asked for; those are scored again exactly from the float32 vectors (memory-mapped), so the
similarities returned are exact: only which vectors are compared is approximate. `nprobe` is
chosen at build time: the smallest power of two whose recall@10 against exact search reaches
`RECALL_TARGET` on a seeded sample of test questions, each the normalised sum of three of the
index's vectors. A question lies between passages, not on one: the index's own vectors as
questions find their neighbours in their own list and overstate recall (on a million-passage test
index, 0.99 at nprobe 1 where real questions got 0.69). Sums of three lie as far from their
nearest passage as real questions do (mean best similarity 0.67 against 0.68-0.71 for SciFact's
questions on a 100,000-passage test index) and gave their recall at every nprobe within 0.01;
midpoints of two (0.74) still overstated it. Recall counts a row as similar as the k-th exact
neighbour as found: duplicate passages tie. Both kinds are read memory-mapped, so opening a large
index reads nothing until a question needs it.
"""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # faiss loads on first use, not on `import tilqa`
    import faiss

    from .files import RowReader

log = logging.getLogger(__name__)

ANN_MIN_VECTORS = 100_000  # below this, exact search takes a few milliseconds: no reason to approximate
RECALL_TARGET = 0.995  # nprobe grows until recall@10 reaches this on the sample; the floor promised for
# real questions is 0.98 (at 0.99, a million-passage test index gave real questions 0.977)
RECALL_QUERIES = 500
NEIGHBOURS = 10
TRAINING_POINTS_PER_LIST = 40  # k-means sample: FAISS advises at least 39 points a centroid
SEED = 1234
KMEANS_ITERATIONS = 10  # FAISS's default is 25; the lists only route questions, exact scoring follows
ADD_BATCH = 65_536
EXACT_BATCH = 8_192  # vectors scored at once against the test questions (a 16 MB score matrix)
OVERFETCH = 4  # IVF candidates scored exactly, per row asked for


class VectorSearch:
    """Inner-product search over `vectors` (float32 unit rows) through a FAISS index of them:
    exact, or IVF candidates scored again exactly."""

    def __init__(self, index: "faiss.Index", vectors: "np.ndarray | RowReader", info: "VectorIndexInfo") -> None:
        self.index = index
        self.vectors = vectors
        self.info = info

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def d(self) -> int:
        return int(self.index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The `k` best rows for each query and their similarities, best first (FAISS's
        convention: rows of -1 and similarities of -inf where fewer were found)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.d)
        if self.info.kind == "flat":
            return self.index.search(queries, k)
        _, candidates = self.index.search(queries, OVERFETCH * k)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        rows = np.full((len(queries), k), -1, dtype=np.int64)
        for i, (query, found) in enumerate(zip(queries, candidates)):
            found = found[found >= 0]
            exact = np.asarray(self.vectors[np.sort(found)], dtype=np.float32) @ query
            order = np.argsort(-exact, kind="stable")[:k]
            rows[i, : len(order)] = np.sort(found)[order]
            scores[i, : len(order)] = exact[order]
        return scores, rows


@dataclass(frozen=True)
class VectorIndexInfo:
    """How a vector index searches, as the manifest records it."""

    kind: str  # "flat" (exact) or "ivf"
    vectors: int
    lists: int | None = None  # IVF clusters
    nprobe: int | None = None  # clusters searched a question
    recall_at_10: float | None = None  # against exact search, on `queries` sums of three of its vectors
    queries: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}

    @classmethod
    def from_dict(cls, value: Any) -> "VectorIndexInfo":
        if not isinstance(value, dict) or value.get("kind") not in ("flat", "ivf"):
            raise ValueError(f"not a vector index description: {value!r}")
        return cls(**{k: value.get(k) for k in cls.__dataclass_fields__})


def make_vector_index(vectors: "np.ndarray | RowReader", ann_min: int | None = None) -> VectorSearch:
    """An inner-product search of `vectors` (L2-normalised float32 rows, in memory, memory-mapped
    or read from their file as needed): exact below `ann_min` vectors (default `ANN_MIN_VECTORS`),
    IVF with a measured recall above."""
    import faiss

    n, dimension = vectors.shape
    if n < (ANN_MIN_VECTORS if ann_min is None else ann_min):
        index = faiss.IndexFlatIP(dimension)
        _add(index, vectors)
        return VectorSearch(index, vectors, VectorIndexInfo(kind="flat", vectors=n))
    lists = max(1, int(4 * math.sqrt(n)))
    rng = np.random.default_rng(SEED)
    sample = min(n, TRAINING_POINTS_PER_LIST * lists)
    training = np.ascontiguousarray(vectors[np.sort(rng.choice(n, sample, replace=False))], dtype=np.float32)
    quantizer = faiss.IndexFlatIP(dimension)
    index = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    index.cp.seed = SEED
    index.cp.niter = KMEANS_ITERATIONS
    log.info("training an IVF index of %d lists on %d of %d vectors", lists, sample, n)
    index.train(training)
    _add(index, vectors)
    queries = _test_questions(vectors, rng)
    exact = exact_neighbours(vectors, queries, NEIGHBOURS)
    kth = kth_similarities(vectors, queries, exact)  # the same at every nprobe
    search = VectorSearch(index, vectors, VectorIndexInfo(kind="ivf", vectors=n, lists=lists))
    nprobe, recall = 1, 0.0
    while True:
        index.nprobe = nprobe
        recall = recall_at_k(search, queries, exact, kth)
        if recall >= RECALL_TARGET or nprobe >= lists:
            break
        nprobe = min(lists, nprobe * 2)
    log.info("IVF index: %d lists, nprobe %d, recall@%d %.4f", lists, nprobe, NEIGHBOURS, recall)
    search.info = VectorIndexInfo(
        kind="ivf", vectors=n, lists=lists, nprobe=nprobe, recall_at_10=round(recall, 4), queries=len(queries)
    )
    return search


def _test_questions(vectors: "np.ndarray | RowReader", rng: np.random.Generator, parts: int = 3) -> np.ndarray:
    """`RECALL_QUERIES` unit sums of `parts` different vectors of `vectors`, drawn by `rng`."""
    count = min(len(vectors) // parts, RECALL_QUERIES)
    rows = rng.choice(len(vectors), parts * count, replace=False)
    order = np.argsort(rows)  # read in row order (memory-mapped), summed in drawn order
    picked = np.empty((len(rows), vectors.shape[1]), dtype=np.float32)
    picked[order] = vectors[rows[order]]
    total = picked.reshape(parts, count, -1).sum(axis=0)
    return np.ascontiguousarray(total / np.linalg.norm(total, axis=1, keepdims=True), dtype=np.float32)


def _add(index: "faiss.Index", vectors: "np.ndarray | RowReader") -> None:
    for first in range(0, len(vectors), ADD_BATCH):  # a memory-mapped array is read a slice at a time
        index.add(np.ascontiguousarray(vectors[first : first + ADD_BATCH], dtype=np.float32))


def exact_neighbours(vectors: "np.ndarray | RowReader", queries: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` vectors with the highest inner product with each query (exact, by
    brute force over slices of `vectors`, best first)."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_rows = np.zeros((len(queries), 0), dtype=np.int64)
    for first in range(0, len(vectors), EXACT_BATCH):
        scores = queries @ np.asarray(vectors[first : first + EXACT_BATCH], dtype=np.float32).T
        rows = np.broadcast_to(np.arange(first, first + scores.shape[1]), scores.shape)
        scores = np.concatenate([best_scores, scores], axis=1)
        rows = np.concatenate([best_rows, rows], axis=1)
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        best_scores = np.take_along_axis(scores, keep, axis=1)
        best_rows = np.take_along_axis(rows, keep, axis=1)
    return best_rows


def kth_similarities(vectors: "np.ndarray | RowReader", queries: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """Each query's similarity to the least similar of its exact neighbours (rows of `exact`)."""
    return np.array([
        float(np.min(np.asarray(vectors[np.sort(best)], dtype=np.float32) @ query))
        for query, best in zip(queries, exact)
    ])


def recall_at_k(
    search: VectorSearch, queries: np.ndarray, exact: np.ndarray, kth: np.ndarray | None = None
) -> float:
    """The share of each query's exact neighbours (rows of `exact`) that `search` finds in its top
    k, averaged over the queries. A row found in place of one as similar as the k-th exact
    neighbour counts (duplicate vectors, as of a repeated passage, tie: which comes first is
    arbitrary). `kth` is `kth_similarities` of the same, when already worked out."""
    k = exact.shape[1]
    if kth is None:
        kth = kth_similarities(search.vectors, queries, exact)
    _, found = search.search(np.ascontiguousarray(queries, dtype=np.float32), k)
    shares = []
    for query, rows, floor in zip(queries, found, kth.tolist()):
        rows = np.sort(rows[rows >= 0])
        similar = np.asarray(search.vectors[rows], dtype=np.float32) @ query
        shares.append(min(k, int(np.sum(similar >= floor))) / k)
    return float(np.mean(shares))


def read_vector_index(path: Path, vectors: np.ndarray, info: VectorIndexInfo) -> VectorSearch:
    """A written search index of `vectors`, memory-mapped, searching as `info` says."""
    import faiss

    index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP)
    if info.kind == "ivf":
        faiss.extract_index_ivf(index).nprobe = int(info.nprobe or 1)
    return VectorSearch(index, vectors, info)


def top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    """The rows of the `k` highest scores, best first, ties in row order: what
    `np.argsort(-scores, kind="stable")[:k]` gives, in time linear in the number of scores.

    Scores of a large index are mostly one floor value (a passage no search found); NumPy's
    selection slows down badly on many equal values, so it runs on the rows above the floor."""
    n = len(scores)
    if k >= n:
        return np.argsort(-scores, kind="stable")
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    floor = scores.min()
    live = np.flatnonzero(scores > floor)
    if len(live) < k:  # all of them, then the first rows at the floor
        at_floor = np.flatnonzero(scores == floor)[: k - len(live)]
        return np.concatenate([live[np.argsort(-scores[live], kind="stable")], at_floor])
    values = scores[live]
    threshold = np.partition(values, len(values) - k)[len(values) - k]  # the k-th highest score
    above = live[values > threshold]
    tied = live[values == threshold][: k - len(above)]
    rows = np.concatenate([above, tied])
    return rows[np.argsort(-scores[rows], kind="stable")]
