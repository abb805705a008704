"""The answer rules at work in `AnswerExtractor` (`tilqa.answering.extractor`): how what a
question asks for ranks the candidate sentences and cuts the confidence. Embedded with
`helpers.HashEncoder`, where words shared make texts similar: the rules read the text, not the
model. Fast tier."""

import pytest


# Sixteen sentences, so that a name in one of them is distinctive (in at most a tenth of them).
RULES_CORPUS = (
    "Partners\n"
    "The company bought Proleukin from Clinigen. "
    "The company bought Zelboraf and Proleukin from Clinigen later. "
    "The company licensed gene editing from Cellectis for its cells.\n"
    "\n"
    "Trials\n"
    "The company started a Phase 3 trial of its cells in melanoma. "
    "The trial compares two arms.\n"
    "\n"
    "Manufacturing\n"
    "The company makes its cells in one central facility. "
    "Cells are grown in a closed system. The product is frozen after growth. "
    "Each batch is checked for purity. Each batch is shipped to treatment centers. "
    "Treatment centers infuse the cells. Patients stay in hospital for a week. "
    "Doctors follow the patients for years. Results are reported to regulators. "
    "Regulators review the results. Reviews take many months.\n"
)


def _built_assistant(tmp_path_factory: pytest.TempPathFactory, name: str, text: str):
    """An assistant over one file holding `text`, its index built (hash vectors: the rules under
    test read the text, not the model)."""
    import tilqa
    from helpers import HashEncoder, write_corpus

    base = tmp_path_factory.mktemp(name)
    corpus = write_corpus(base / "corpus", {f"{name}.txt": text})
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=base / "index", embedder=HashEncoder())
    assistant.build()
    return assistant


@pytest.fixture(scope="module")
def rules_assistant(tmp_path_factory: pytest.TempPathFactory):
    return _built_assistant(tmp_path_factory, "company", RULES_CORPUS)


def _top_sentence(assistant, question: str) -> str:
    explanation = assistant.explain(question)
    return explanation.index.sentences[explanation.candidates[0].sentence].text


def test_an_exclusion_question_is_not_answered_with_what_it_sets_aside(rules_assistant, monkeypatch) -> None:
    from tilqa.answering import extractor

    question = "Other than Proleukin, what did the company buy from Clinigen?"
    monkeypatch.setattr(extractor, "EXCLUDED_RANK_PENALTY", 0.0)
    assert _top_sentence(rules_assistant, question).startswith("The company bought Proleukin")
    monkeypatch.undo()
    # The sentence naming Proleukin alone is set aside; the one naming it among others is not.
    explanation = rules_assistant.explain(question)
    by_text = {explanation.index.sentences[c.sentence].text: c.penalty for c in explanation.candidates}
    assert by_text["The company bought Proleukin from Clinigen."] == extractor.EXCLUDED_RANK_PENALTY
    assert by_text["The company bought Zelboraf and Proleukin from Clinigen later."] == 0.0
    assert _top_sentence(rules_assistant, question).startswith("The company bought Zelboraf")
    assert explanation.extraction.typed


def test_an_answer_about_what_an_exclusion_question_sets_aside_counts_as_untyped(rules_assistant) -> None:
    extraction = rules_assistant.explain("Apart from Cellectis, who licensed gene editing to the company?").extraction
    assert not extraction.typed  # only the Cellectis sentence is about gene editing


def test_a_yes_no_answer_must_name_one_of_the_questions_distinctive_names(rules_assistant) -> None:
    assert rules_assistant.explain("Does the company license gene editing from Cellectis?").extraction.typed
    # Philadelphia is named nowhere: no sentence settles the question, so its confidence is cut.
    assert not rules_assistant.explain("Does the company make its cells in Philadelphia?").extraction.typed
    # Asked for a fact, it is held to it too since issue 36: a name no document holds is a qualifier
    # the library does not answer for (answering/qualifiers.py); without the name it is answered.
    assert not rules_assistant.explain("Where does the company make its cells, Philadelphia?").extraction.typed
    assert rules_assistant.explain("Where does the company make its cells?").extraction.typed


def test_a_comparison_with_something_the_corpus_never_names_cannot_be_answered(rules_assistant) -> None:
    # The corpus names Zelboraf, though not in the answer: the comparison may be answered.
    assert rules_assistant.explain("How does Proleukin differ from Zelboraf?").extraction.typed
    # It never names CAR-T: no sentence can say how the two differ, so the confidence is cut.
    assert not rules_assistant.explain("How does Proleukin differ from CAR-T cells?").extraction.typed
    # A typo is not something the corpus never names.
    assert rules_assistant.explain("How does Proleukin differ from Zelborf?").extraction.typed


REPORT_CORPUS = (
    "Company Report\n"
    "\n"
    "20 March 2025\n"
    "Overview\n"
    "The company makes its cells in one central facility. "
    "The company took its current name in 2017 to reflect its focus on cells.\n"
)


@pytest.fixture(scope="module")
def report_assistant(tmp_path_factory: pytest.TempPathFactory):
    return _built_assistant(tmp_path_factory, "report", REPORT_CORPUS)


def test_a_dateline_answers_when_its_document_was_written_and_nothing_else(report_assistant) -> None:
    explanation = report_assistant.explain("When was this company report written?")
    assert _top_sentence(report_assistant, "When was this company report written?") == "20 March 2025"
    assert explanation.extraction.typed
    for question in ("What is the company report?", "When did the company take its current name?"):
        texts = [report_assistant.index.sentences[c.sentence].text for c in report_assistant.explain(question).candidates]
        assert texts and "20 March 2025" not in texts, question


# --- libraries: qualifiers, documents that disagree, copies ---------------------------------------

LIBRARY = {
    "lung.txt": "Lung cohort\n\nIn the lung cancer cohort the objective response rate was 36.4 percent in 2023.\n",
    "cervical.txt": "Cervical cohort\n\nIn the cervical cancer cohort the objective response rate was 44 percent in 2023.\n",
    "copy-a.txt": "Wire story\n\nThe company opened a second manufacturing plant in Philadelphia last spring.\n",
    "copy-b.txt": "Wire story\n\nThe company opened a second manufacturing plant in Philadelphia last spring.\n",
}


@pytest.fixture(scope="module")
def library_assistant(tmp_path_factory: pytest.TempPathFactory):
    import tilqa
    from helpers import HashEncoder, write_corpus

    base = tmp_path_factory.mktemp("library")
    assistant = tilqa.Assistant(
        corpus_dir=write_corpus(base / "corpus", LIBRARY), index_dir=base / "index", embedder=HashEncoder()
    )
    assistant.build()
    return assistant


def test_a_qualifier_no_document_holds_declines_the_answer(library_assistant) -> None:
    held = library_assistant.explain("What was the objective response rate in the lung cancer cohort?")
    trap = library_assistant.explain("What was the objective response rate in the endometrial cancer cohort?")
    assert held.extraction.typed
    # The same sentence wins, but "endometrial" (rare in English) is in no document.
    assert not trap.extraction.typed and trap.extraction.confidence < held.extraction.confidence


def test_a_qualifier_picks_the_document_that_holds_it(library_assistant) -> None:
    answer = library_assistant.ask("What was the objective response rate in the cervical cohort?")
    assert answer.citations[0].source == "cervical.txt"
    answer = library_assistant.ask("What was the objective response rate in the lung cohort?")
    assert answer.citations[0].source == "lung.txt"


def test_documents_giving_another_value_are_shown_as_alternatives(library_assistant) -> None:
    explanation = library_assistant.explain("What was the objective response rate in 2023?")
    answer_source = explanation.index.sentences[explanation.extraction.sentences[0]].source
    others = [explanation.index.sentences[rows[0]].source for rows, _ in explanation.extraction.alternatives]
    assert answer_source in ("lung.txt", "cervical.txt")
    assert others == [({"lung.txt", "cervical.txt"} - {answer_source}).pop()]
    # With the cohort named, the other cohort's figure answers another question: no alternative.
    named = library_assistant.explain("What was the objective response rate in the cervical cohort in 2023?")
    assert named.extraction.alternatives == ()


def test_copies_of_one_passage_are_cited_once(library_assistant) -> None:
    answer = library_assistant.ask("Where did the company open a second manufacturing plant?", top_k=4)
    texts = [c.text for c in answer.citations]
    assert len(texts) == len(set(texts)) and any("Philadelphia" in t for t in texts)
