"""Passage retrieval: dense, BM25, and the two fusions of hybrid (weighted and RRF). The mechanics
on a small corpus embedded with HashEncoder, where the question's text and its vector can be
chosen apart; then each mode answering on the shipped corpus with the real model."""

import dataclasses

import numpy as np
import pytest

import tilqa
from tilqa.index import IndexData
from tilqa.retrieval import Hit, Retriever

from helpers import HashEncoder, write_corpus

ENCODER = HashEncoder()
FRUIT = {
    "apples.txt": "Orchards\n\nApples grow on tall trees in the northern orchards. They are picked in autumn.\n",
    "bananas.txt": "Plantations\n\nBananas ripen slowly in warm dark rooms.\n",
    "pears.txt": "Markets\n\nPears and apples are sold at the market every week.\n",
    "boats.txt": "Harbour\n\nFishing boats leave the harbour before dawn.\n",
}
# The question's words match apples.txt best and pears.txt a little; its vector is bananas.txt's.
WORDS = "apples orchards trees"
BANANAS = "Bananas ripen slowly in warm dark rooms."


@pytest.fixture(scope="module")
def fruit(tmp_path_factory: pytest.TempPathFactory) -> tuple[tilqa.Settings, IndexData]:
    folder = tmp_path_factory.mktemp("fruit")
    assistant = tilqa.Assistant(corpus_dir=write_corpus(folder / "corpus", FRUIT), index_dir=folder / "index", embedder=ENCODER)
    return assistant.settings, assistant.index


def search(fruit, question: str, vector: np.ndarray, limit: int | None = None, **settings) -> list[Hit]:
    base, data = fruit
    retriever = Retriever(data, dataclasses.replace(base, **settings))
    return retriever.search(question, vector, len(data.passages) if limit is None else limit)


def source(fruit, hit: Hit) -> str:
    return fruit[1].passages[hit.passage].source


def vector(text: str) -> np.ndarray:
    return ENCODER.encode([text])[0]


def test_bm25_ranks_by_term_matches_and_ignores_the_vector(fruit) -> None:
    hits = search(fruit, WORDS, vector(BANANAS), retrieval="bm25")
    assert [source(fruit, h) for h in hits[:2]] == ["apples.txt", "pears.txt"]
    assert hits[0].bm25 > hits[1].bm25 > 0 and all(h.bm25 == 0 for h in hits[2:])
    assert [h.score for h in hits] == pytest.approx([h.bm25 / hits[0].bm25 for h in hits])


def test_dense_ranks_by_the_closest_of_a_passage_and_its_sentences_and_ignores_the_words(fruit) -> None:
    _, data = fruit
    q = vector(BANANAS)
    hits = search(fruit, WORDS, q, retrieval="dense")
    assert source(fruit, hits[0]) == "bananas.txt" and hits[0].dense == pytest.approx(1.0, abs=1e-3)
    passages = np.asarray(data.passage_vectors.vectors)
    for h in hits:
        rows = data.passages[h.passage].sentences
        expected = max(float(passages[h.passage] @ q), *(float(data.sentence_vectors[r] @ q) for r in rows))
        assert h.dense == pytest.approx(expected, abs=1e-5)
    assert [h.dense for h in hits] == sorted((h.dense for h in hits), reverse=True)
    assert hits[0].score == 1.0 and all(0 <= h.score <= 1 for h in hits)


def weighted(hit: Hit, hits: list[Hit], w: float) -> float:
    """config.py: dense_weight * cosine clipped at 0 + (1 - dense_weight) * BM25 / best BM25."""
    top_bm25 = max(h.bm25 for h in hits)
    return w * max(hit.dense, 0.0) + (1 - w) * (hit.bm25 / top_bm25 if top_bm25 > 0 else 0.0)


@pytest.mark.parametrize("w", [0.2, 0.5, 0.8])
def test_weighted_fusion_is_the_formula_of_the_settings(fruit, w: float) -> None:
    hits = search(fruit, WORDS, vector(BANANAS), retrieval="hybrid", fusion="weighted", dense_weight=w)
    assert len(hits) == len(FRUIT)
    fused = [weighted(h, hits, w) for h in hits]
    assert fused == sorted(fused, reverse=True)
    assert [h.score for h in hits] == pytest.approx([f / fused[0] for f in fused])


def test_the_dense_weight_decides_between_the_words_and_the_vector(fruit) -> None:
    def first(w: float) -> str:
        return source(fruit, search(fruit, WORDS, vector(BANANAS), retrieval="hybrid", fusion="weighted", dense_weight=w)[0])

    assert first(0.8) == "bananas.txt" and first(0.2) == "apples.txt"


def test_weighted_fusion_without_a_term_match_follows_the_vector(fruit) -> None:
    hits = search(fruit, "what is it", vector(BANANAS), retrieval="hybrid", fusion="weighted")
    assert all(h.bm25 == 0 for h in hits)
    assert [h.dense for h in hits] == sorted((h.dense for h in hits), reverse=True)


def rrf(hit: Hit, hits: list[Hit], w: float, k: int) -> float:
    """Each ranking adds its weight / (k + rank), rank from 1; BM25 only for passages it matches."""
    by_dense = sorted(hits, key=lambda h: (-h.dense, h.passage))
    by_bm25 = sorted(hits, key=lambda h: (-h.bm25, h.passage))
    score = w / (k + by_dense.index(hit) + 1)
    if hit.bm25 > 0:
        score += (1 - w) / (k + by_bm25.index(hit) + 1)
    return score


@pytest.mark.parametrize("w, k", [(0.5, 60), (0.7, 1), (0.3, 5)])
def test_rrf_sums_the_weighted_reciprocal_ranks(fruit, w: float, k: int) -> None:
    hits = search(fruit, WORDS, vector(BANANAS), retrieval="hybrid", fusion="rrf", dense_weight=w, rrf_k=k)
    fused = [rrf(h, hits, w, k) for h in hits]
    assert fused == sorted(fused, reverse=True)
    assert [h.score for h in hits] == pytest.approx([f / fused[0] for f in fused])


def test_rrf_uses_ranks_not_scores(fruit) -> None:
    """Doubling the question vector doubles every dense score but keeps their order: RRF's
    scores stay as they were, weighted fusion's change."""
    q = vector(BANANAS)
    for fusion, unchanged in (("rrf", True), ("weighted", False)):
        once, twice = ({h.passage: h for h in search(fruit, WORDS, v, retrieval="hybrid", fusion=fusion)} for v in (q, 2 * q))
        assert {p: h.dense * 2 for p, h in once.items()} == pytest.approx({p: h.dense for p, h in twice.items()})
        assert ({p: h.score for p, h in once.items()} == pytest.approx({p: h.score for p, h in twice.items()})) == unchanged


def test_search_returns_at_most_limit_hits_best_first(fruit) -> None:
    assert search(fruit, WORDS, vector(BANANAS), limit=0) == []
    two = search(fruit, WORDS, vector(BANANAS), limit=2)
    assert len(two) == 2 and two == search(fruit, WORDS, vector(BANANAS))[:2]


@pytest.mark.model
@pytest.mark.parametrize(
    "retrieval, fusion", [("dense", "weighted"), ("bm25", "weighted"), ("hybrid", "weighted"), ("hybrid", "rrf")]
)
def test_each_retrieval_mode_answers_a_simple_question(assistant: tilqa.Assistant, retrieval: str, fusion: str) -> None:
    settings = dataclasses.replace(assistant.settings, retrieval=retrieval, fusion=fusion)
    answer = tilqa.Assistant(settings=settings, embedder=assistant.embedder).ask("Which IL-2 product did Iovance acquire?")
    assert answer.found and "Proleukin" in answer.answer
