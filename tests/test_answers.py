"""End to end on the shipped corpus with the real bundled model: what a user asking gets."""

import json
from pathlib import Path

import pytest

import tilqa
from tilqa.evaluation import evaluate, load_questions

from helpers import SMALL_CORPUS, document_text, write_corpus

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parents[1]


def test_ask_returns_cited_verbatim_answer(assistant: tilqa.Assistant) -> None:
    answer = assistant.ask("Which IL-2 product did Iovance acquire?")
    assert answer.found and "Proleukin" in answer.answer
    assert 0.0 <= answer.confidence <= 1.0
    first = answer.citations[0]
    assert first.text[first.answer_start : first.answer_end] == answer.answer
    for c in answer.citations:
        assert document_text(assistant, c.source)[c.start : c.end] == c.text
    assert "Licensing and Acquisition" in first.section


def test_off_topic_question_is_declined_with_closest_passages(assistant: tilqa.Assistant) -> None:
    answer = assistant.ask("give me a banana bread recipe")
    assert not answer.found and answer.answer == ""
    assert len(answer.citations) == 3
    assert all(c.answer_start is None for c in answer.citations)


def test_top_k_bounds_the_citations(assistant: tilqa.Assistant) -> None:
    assert len(assistant.ask("What is lifileucel?", top_k=1).citations) == 1
    assert len(assistant.ask("What is lifileucel?", top_k=5).citations) == 5


def test_answer_and_citation_serialise_to_json(assistant: tilqa.Assistant) -> None:
    answer = assistant.ask("Who licensed TALEN technology to Iovance?")
    data = json.loads(json.dumps(answer.to_dict()))
    assert data["question"] == answer.question and data["found"] == answer.found
    assert data["citations"][0]["source"] == "iovance-rd-focus.txt"
    with pytest.raises(AttributeError):
        answer.found = False  # frozen


def test_module_level_ask_uses_the_given_folders(tmp_path: Path, corpus_dir: Path) -> None:
    answer = tilqa.ask("Which regulatory agencies evaluate TIL therapies?", corpus_dir=corpus_dir, index_dir=tmp_path)
    assert answer.found and "FDA" in answer.answer


@pytest.mark.parametrize(
    "british, american, evidence",
    [
        # The corpus's reasons (Market Adoption and Economic Considerations), and the sentence
        # holding the folded word ("optimizing"), which the question matches only once folded.
        ("Why is commercialising TIL therapy hard?", "Why is commercializing TIL therapy hard?",
         "accompanied by significant economic pressures. High manufacturing costs"),
        ("How is TIL manufacturing being optimised?", "How is TIL manufacturing being optimized?",
         "optimizing the effector function and phenotype of the TIL product"),
    ],
)
def test_british_spelling_gets_the_answer_american_spelling_gets(
    assistant: tilqa.Assistant, british: str, american: str, evidence: str
) -> None:
    """The corpus writes American English; a question in British spelling must not lose its
    lexical match (without the spelling fold both of these pick another sentence)."""
    expected = assistant.ask(american)
    answer = assistant.ask(british)
    assert answer.found and evidence in answer.answer
    assert expected.found and answer.answer == expected.answer


@pytest.mark.parametrize(
    "file, accuracy, evidence, declined, wrongly, chars",
    [
        # Issue 36 (qualifiers) lost d012 ("… Keytruda …": the corpus writes pembrolizumab there) for
        # the libraries' abstention (docs/evaluation.md, "Libraries"); the floors below moved with it.
        ("dev.jsonl", 0.875, 0.975, 1.0, 0.025, 250),
        ("blind-a.jsonl", 0.82, 0.93, 1.0, 0.07, 250),
        ("blind-b.jsonl", 0.95, 1.0, 0.93, 0.0, 250),
        # Definitions run long: the sentences that say what a thing is are the long ones.
        ("definitions-a.jsonl", 1.0, 1.0, 0.6, 0.0, 275),
        # So do explanations; "how" and "why" questions are where tilqa is weakest (README).
        ("howwhy-a.jsonl", 0.73, 0.93, 0.8, 0.07, 270),
        # The read sets of issue 21: kinds of question, then mixed sets to tune on.
        ("yesno-a.jsonl", 0.91, 0.91, 0.5, 0.0, 260),
        ("facts-a.jsonl", 0.93, 1.0, 1.0, 0.0, 250),
        ("exclusion-a.jsonl", 0.95, 1.0, 1.0, 0.0, 255),
        ("facts-b.jsonl", 1.0, 1.0, 0.95, 0.0, 245),
        ("tune-a.jsonl", 0.76, 0.93, 0.8, 0.07, 275),
        ("tune-b.jsonl", 0.86, 0.9, 0.8, 0.1, 260),
        ("tune-c.jsonl", 0.93, 0.96, 1.0, 0.0, 260),
        ("tune-d.jsonl", 0.93, 1.0, 1.0, 0.04, 245),
        ("tune-e.jsonl", 0.93, 0.93, 1.0, 0.04, 245),
        ("tune-f.jsonl", 0.96, 0.96, 1.0, 0.04, 250),
    ],
)
def test_answers_on_the_question_sets_stay_at_their_measured_floor(
    assistant: tilqa.Assistant, file: str, accuracy: float, evidence: float, declined: float, wrongly: float,
    chars: int,
) -> None:
    """Regression guard: these are the figures measured when the method was tuned (see README
    and eval/README.md); a change that makes answers worse fails here. blind-c.jsonl,
    blind-d.jsonl, definitions-b.jsonl, howwhy-b.jsonl and the mixed-*.jsonl sets are left out on
    purpose: they stay unread, as the test of questions nobody tuned to."""
    report = evaluate(assistant, load_questions(ROOT / "eval" / file), top_k=3)
    assert report.grounded == 1.0
    assert report.accuracy >= accuracy
    assert report.evidence_recall >= evidence
    assert report.declined_unanswerable >= declined
    assert report.wrongly_declined <= wrongly
    assert report.mean_answer_chars <= chars


@pytest.mark.parametrize(
    "first, second, question, longer_than, at_most",
    [
        # A best sentence whose thought the next one continues ("Such technologies…") comes with
        # it, for two sentences of ordinary length (MAX_PAIR_CHARS).
        (
            "Although not prominently highlighted, the integration of digital biomarker assays and "
            "advanced bioinformatics analyses is an emerging area within the company's research efforts.",
            "Such technologies aid in the identification of neoantigens and in the optimization of cell "
            "selection based on patient-specific tumor profiles, reinforcing personalized medicine.",
            "What is bioinformatics analysis an emerging area of?",
            350,
            400,
        ),
        # "This study…" alone does not say which study: the sentence before it comes too, even when
        # the two are longer than an elaboration may add (MAX_RESOLVED_PAIR_CHARS).
        (
            "The company has recently initiated a global, multicenter Phase 3 trial, NORTHSTAR-7, which is "
            "comparing the combination of its lead cell product with a checkpoint inhibitor versus the inhibitor alone.",
            "This study is not only designed to confirm earlier accelerated approval outcomes but also to "
            "provide clarity on positioning cell therapy earlier in the treatment sequence for advanced melanoma patients.",
            "Is the trial designed to confirm the accelerated approval outcomes?",
            400,
            450,
        ),
        # A sentence too short to hold more than its topic (SHORT_ANSWER_CHARS) comes with the
        # next one, which gives the specifics.
        (
            "The commercialization of the cell product is accompanied by significant economic pressures.",
            "High manufacturing costs, complex logistics and the need for specialized treatment centers "
            "can slow its uptake.",
            "What economic pressures come with commercializing the cell product?",
            150,
            400,
        ),
    ],
    ids=["continuation", "antecedent", "short"],
)
def test_an_answer_comes_with_the_neighbour_that_completes_it(
    tmp_path: Path, first: str, second: str, question: str, longer_than: int, at_most: int
) -> None:
    assert longer_than < len(first) + 1 + len(second) <= at_most
    corpus = write_corpus(tmp_path / "corpus", {"notes.txt": (
        "Findings\n" + first + " " + second + "\n\n"
        "Manufacturing\nThe cell product is manufactured in one central facility near the hospital.\n"
    )})
    answer = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index").ask(question)
    assert answer.found and answer.answer == first + " " + second


@pytest.mark.parametrize(
    "text, question, wanted",
    [
        (
            "Manufacturing\nThe cell product is manufactured in one central facility. "
            "The product is ready 22 days after surgery.\n",
            "How long does manufacturing the cell product take?",
            "22 days",
        ),
        (
            "Pipeline\nLifileucel is being studied in several ongoing Phase 2 trials in solid tumors. "
            "The lead product candidate, lifileucel, is designed for patients with advanced melanoma.\n",
            "What is lifileucel?",
            "lead product candidate",
        ),
    ],
    ids=["duration", "definition"],
)
def test_the_sentence_holding_the_kind_of_answer_asked_for_ranks_first(
    tmp_path: Path, text: str, question: str, wanted: str
) -> None:
    """A "how long" question wants a duration, a "what is X?" one a sentence saying what X is."""
    corpus = write_corpus(tmp_path / "corpus", {"notes.txt": text})
    explanation = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index").explain(question)
    ranked, sentences = explanation.candidates, explanation.index.sentences
    holding = [c for c in ranked if wanted in sentences[c.sentence].text]
    other = [c for c in ranked if wanted not in sentences[c.sentence].text]
    # Without the check the other sentence would win (by a hair) ...
    assert other[0].score + other[0].penalty > holding[0].score
    # ... and the one holding what is asked for ranks first.
    assert ranked[0] == holding[0]


def test_typicality_is_a_sentences_mean_similarity_to_the_rest_of_its_document(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {**SMALL_CORPUS, "single.txt": "The company is based in California.\n"})
    data = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index").index
    values = data.typicality  # computed by the build, document by document
    for row, sentence in enumerate(data.sentences):
        others = [
            float(data.sentence_vectors[row] @ data.sentence_vectors[other])
            for other, s in enumerate(data.sentences)
            if s.source == sentence.source and other != row
        ]
        # A sentence alone in its file has no document to be typical of.
        assert values[row] == pytest.approx(sum(others) / len(others) if others else 0.0, abs=1e-5)
    assert {s.source for s in data.sentences} == set(SMALL_CORPUS) | {"single.txt"}


def test_a_why_question_weighs_the_reason_above_the_sentence_repeating_its_words(assistant: tilqa.Assistant) -> None:
    """"Why is making TILs so tricky?": the sentence restating the topic matches its words; the
    one giving the reason does not. With the usual lexical weight the first would win."""
    from tilqa.answering.extractor import TOKEN_SENTENCE_WEIGHTS, WHY_HOW_LEXICAL_WEIGHT

    explanation = assistant.explain("Why is making TILs so tricky?")
    sentences = explanation.index.sentences
    reason = next(c for c in explanation.candidates if "inherently complex" in sentences[c.sentence].text)
    assert explanation.candidates[0] == reason
    extra = TOKEN_SENTENCE_WEIGHTS["lexical"] - WHY_HOW_LEXICAL_WEIGHT
    usual = max(explanation.candidates, key=lambda c: c.score + extra * c.lexical)
    assert usual != reason and usual.lexical > reason.lexical
