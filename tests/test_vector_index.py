"""The vector search indexes: exact below a size, IVF above with its recall measured, read
memory-mapped (plumbing with HashEncoder and random vectors; benchmarks/scale.py measures them
at 100,000 and 1,000,000 passages)."""

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

import tilqa
from tilqa import Settings
from tilqa.index import BUILDS, current_build, load_index
from tilqa.indexing import refresh_index
from tilqa.index.files import RowReader
from tilqa.index.vectors import exact_neighbours, make_vector_index, recall_at_k, top_rows

from helpers import SMALL_CORPUS, HashEncoder, write_corpus

ENCODER = HashEncoder()


def unit_rows(count: int, dimension: int = 32, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dimension)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.mark.parametrize("k", [0, 1, 5, 37, 100, 150])
def test_top_rows_is_a_stable_argsort_cut_short(k: int) -> None:
    scores = np.random.default_rng(k).integers(0, 20, size=100).astype(np.float32)  # many ties
    assert top_rows(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


@pytest.mark.parametrize("live", [0, 3, 40])
def test_top_rows_of_scores_mostly_at_the_floor(live: int) -> None:
    """As for a large index, where most passages keep the score of none found."""
    scores = np.full(1000, -1.0, dtype=np.float32)
    rng = np.random.default_rng(live)
    scores[rng.choice(1000, live, replace=False)] = rng.integers(0, 5, size=live)
    for k in (1, 10, 50):
        assert top_rows(scores, k).tolist() == np.argsort(-scores, kind="stable")[:k].tolist()


def test_exact_neighbours_match_a_full_sort_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tilqa.index.vectors.EXACT_BATCH", 64)  # several slices
    vectors, queries = unit_rows(300), unit_rows(7, seed=1)
    expected = np.argsort(-(queries @ vectors.T), axis=1, kind="stable")[:, :10]
    assert np.array_equal(exact_neighbours(vectors, queries, 10), expected)


def test_small_indexes_are_exact_and_large_ones_ivf_with_their_recall_measured() -> None:
    vectors = unit_rows(3000)
    search = make_vector_index(vectors, ann_min=5000)
    assert search.info.kind == "flat" and search.info.recall_at_10 is None and search.ntotal == 3000
    search = make_vector_index(vectors, ann_min=1000)
    info = search.info
    assert info.kind == "ivf" and info.lists == int(4 * np.sqrt(3000)) and 1 <= info.nprobe <= info.lists
    assert info.recall_at_10 >= 0.995
    # The recall it recorded is what the index gives on other questions, within sampling error.
    queries = unit_rows(200, seed=5)
    assert recall_at_k(search, queries, exact_neighbours(vectors, queries, 10)) >= 0.95
    # Returned similarities are exact inner products (the codes are 8-bit; candidates are scored
    # again from the vectors), only which rows are compared is approximate.
    scores, rows = search.search(queries[:3], 5)
    assert np.allclose(scores, np.einsum("qd,qkd->qk", queries[:3], vectors[rows]), atol=1e-6)
    assert (np.diff(scores, axis=1) <= 0).all()


def test_recall_counts_a_duplicate_found_in_place_of_its_twin_but_not_a_worse_row() -> None:
    vectors = unit_rows(400)
    vectors[100:130] = vectors[7]  # thirty copies of one passage
    search = make_vector_index(vectors)  # exact
    query = vectors[7:8]
    exact = exact_neighbours(vectors, query, 10)
    assert recall_at_k(search, query, exact) == 1.0
    twins = np.array([list(range(115, 125))])  # ten other copies of the thirty: as near
    assert recall_at_k(search, query, twins) == 1.0
    assert len(set(twins[0]) & set(search.search(query, 10)[1][0])) < 10  # not the rows search found
    # Without duplicates a row missed is a row missed: one IVF list searched of many finds few.
    vectors, queries = unit_rows(3000), unit_rows(50, seed=9)
    search = make_vector_index(vectors, ann_min=1000)
    faiss.extract_index_ivf(search.index).nprobe = 1
    assert recall_at_k(search, queries, exact_neighbours(vectors, queries, 10)) < 0.5


def test_rows_read_from_the_file_are_the_rows_and_index_as_the_array_does(tmp_path: Path) -> None:
    vectors = unit_rows(2500)
    np.save(tmp_path / "v.npy", vectors)
    reader = RowReader(tmp_path / "v.npy")
    assert reader.shape == (2500, vectors.shape[1]) and len(reader) == 2500
    assert np.array_equal(reader[10:20], vectors[10:20]) and np.array_equal(reader[2490:3000], vectors[2490:])
    assert np.array_equal(reader[np.array([7, 3, 2499])], vectors[[7, 3, 2499]])
    with pytest.raises(IndexError):
        reader[np.array([2500])]
    from_file, in_memory = make_vector_index(reader, ann_min=1000), make_vector_index(vectors, ann_min=1000)
    reader.close()
    assert from_file.info == in_memory.info and from_file.info.kind == "ivf"
    queries = unit_rows(20, seed=4)
    assert np.array_equal(from_file.index.search(queries, 10)[1], in_memory.index.search(queries, 10)[1])


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    rng = np.random.default_rng(3)
    words = ["".join(rng.choice(list("abcdefghijklmnopqrstuvwxyz"), size=6)) for _ in range(300)]
    filler = "\n\n".join(" ".join(rng.choice(words, size=9)).capitalize() + "." for _ in range(150))
    return write_corpus(tmp_path / "corpus", {**SMALL_CORPUS, "filler.txt": "Filler\n" + filler + "\n"})


def test_an_index_above_the_size_searches_ivf_memory_mapped_and_answers_as_the_exact_one(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exact = Settings.load(environ={}, corpus_dir=corpus, index_dir=tmp_path / "exact", model=ENCODER.model_name)
    refresh_index(exact, ENCODER)
    monkeypatch.setattr("tilqa.index.vectors.ANN_MIN_VECTORS", 40)  # the corpus has 53 passages, short paragraphs joined
    approximate = Settings.load(environ={}, corpus_dir=corpus, index_dir=tmp_path / "ivf", model=ENCODER.model_name)
    refresh_index(approximate, ENCODER)
    folder = approximate.index_dir / BUILDS / str(current_build(approximate.index_dir))
    described = json.loads((folder / "manifest.json").read_text("utf-8"))["vector_index"]
    assert described["passages"]["kind"] == described["sentences"]["kind"] == "ivf"
    assert all(described[name]["recall_at_10"] >= 0.98 for name in ("passages", "sentences"))
    data = load_index(approximate.index_dir)
    assert data.sentence_search is not None and isinstance(data.sentence_vectors, np.memmap)
    assert load_index(exact.index_dir).sentence_search is None
    for question in ("Who licensed the gene-editing technology?", "How long are cells expanded?"):
        answers = [tilqa.Assistant(settings=s, embedder=ENCODER).ask(question) for s in (exact, approximate)]
        assert answers[0].answer == answers[1].answer and answers[0].answer
