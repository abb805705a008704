"""Lexical matching: folding, spelling, stemming, stop words, what counts as a term, BM25 and
term coverage."""

import pytest

from tilqa.lexical import LexicalIndex, fold, terms


def only(text: str) -> list[str]:
    return terms([text])[0]


def test_fold_turns_unicode_dashes_quotes_and_compatibility_forms_into_ascii() -> None:
    assert fold("gene‐editing, PD‑1, 2020–2024 — ’a‘ “b”") == "gene-editing, PD-1, 2020-2024 - 'a' \"b\""
    assert fold("ＣＡＲ－Ｔ １２ ﬁle") == "CAR-T 12 file"  # full-width forms and ligatures (NFKC)


def test_folded_text_gives_the_same_terms_as_ascii() -> None:
    assert only("Proleukin’s ＩＬ２ gene‑editing") == only("Proleukin's IL2 gene-editing")


@pytest.mark.parametrize(
    "british, american",
    [("tumour", "tumor"), ("commercialising", "commercializing"), ("optimised", "optimized"), ("colour", "color")],
)
def test_british_spelling_gives_the_american_term(british: str, american: str) -> None:
    assert only(british) == only(american) != []


def test_words_are_lower_cased_and_stemmed() -> None:
    assert only("Trials trial TRIAL") == [only("trial")[0]] * 3
    assert only("running runs") == [only("run")[0]] * 2


def test_stop_words_and_question_words_are_not_terms() -> None:
    assert only("What is the, and how, why, which of them?") == []
    assert only("What is the melanoma trial?") == only("melanoma trial")


def test_ampersand_compounds_stay_one_term() -> None:
    assert only("R&D") == ["r&d"]
    assert "r&d" in only("Iovance R&D spending") and "r" not in only("Iovance R&D spending")


def test_single_digits_are_terms_but_single_letters_are_not() -> None:
    """ "Phase 2" is not "Phase 3"; a stray letter ("CAR-T", "x") carries nothing."""
    assert only("Phase 2") != only("Phase 3")
    assert "2" in only("Phase 2")
    assert only("x y z") == []
    assert only("CAR-T") == only("CAR")
    assert only("IL-2") == ["il", "2"]


def test_bm25_scores_texts_holding_more_of_the_query_higher() -> None:
    index = LexicalIndex(["Apples grow on trees.", "Bananas grow in warm rooms.", "Apples and pears."])
    assert len(index) == 3
    scores = index.scores("apple trees")
    assert scores[0] > scores[2] > 0 and scores[1] == 0
    assert not index.scores("zebra").any()
    assert not index.scores("what is the").any()  # only stop words: nothing to match


def test_coverage_is_the_idf_weighted_share_of_query_terms_in_a_text() -> None:
    index = LexicalIndex(["apples grow on trees", "apples in boxes", "apples and pears", "pears ripen"])
    query = only("apples pears")
    assert index.coverage(query, set(only("apples and pears"))) == pytest.approx(1.0)
    assert index.coverage(query, set(only("warm rooms"))) == 0.0
    assert index.coverage([], set(only("apples"))) == 0.0
    # "pears" is in fewer texts than "apples": it weighs more.
    assert index.coverage(query, set(only("pears"))) > 0.5 > index.coverage(query, set(only("apples")))
    expected = index.idf(only("pears")[0]) / (index.idf(only("pears")[0]) + index.idf(only("apples")[0]))
    assert index.coverage(query, set(only("pears"))) == pytest.approx(expected)


def test_a_term_the_corpus_never_uses_weighs_most() -> None:
    index = LexicalIndex(["apples grow on trees", "pears ripen"])
    unseen = only("zebra")[0]
    assert index.idf(unseen) == index.unseen_idf > index.idf(only("apples")[0])
    # A question about something the corpus never mentions is barely covered by any text.
    assert index.coverage(only("apples zebra"), set(only("apples"))) < 0.5


def test_an_index_from_term_ids_scores_as_bm25s_from_the_terms(tmp_path) -> None:
    """The build's array computation against bm25s's own, on texts of many lengths and repeats,
    one without terms, and words of the vocabulary no text holds; saved and loaded as a build does."""
    import numpy as np

    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(60)]
    texts = [[words[j] for j in rng.integers(0, 50, size=rng.integers(0, 30))] for _ in range(300)]
    texts[5] = []
    position = {w: i for i, w in enumerate(words)}
    ids = np.array([position[w] for t in texts for w in t], dtype=np.int32)
    lengths = np.array([len(t) for t in texts], dtype=np.int32)
    ours = LexicalIndex.from_term_ids(ids, lengths, words)
    theirs = LexicalIndex.from_terms(texts)
    ours.save(tmp_path / "ours")
    loaded = LexicalIndex.load(tmp_path / "ours")
    for query in ("w1", "w3 w3 w7", "w49 w0 w12", "w55", "w2 nowhere"):
        expected = theirs.scores(query)
        assert expected.any() or query == "w55"
        assert np.array_equal(ours.scores(query), expected)
        assert np.array_equal(loaded.scores(query), expected)
    for term in ("w1", "w49", "w55", "nowhere"):
        assert ours.idf(term) == theirs.idf(term) == loaded.idf(term)
    assert len(ours) == len(theirs) == len(loaded) == 300


def test_knows_a_term_as_held_or_spelled_alike() -> None:
    index = LexicalIndex(["Cydippids have tentilla.", "The car is red."])
    assert index.knows("cydippid") and not index.knows("cysippid")
    assert index.knows("cysippid", spelled_alike=0.85)  # a typo of a term the texts hold
    assert not index.knows("ctenophor", spelled_alike=0.85)
    assert index.knows("car") and not index.knows("cart", spelled_alike=0.85)  # short terms: as held only
