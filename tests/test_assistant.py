"""`Assistant.ask` and `Assistant.explain` through the public API: what comes back, the notes on
what was changed about a request, and the errors for a request or a corpus tilqa cannot use.
Embedded with `helpers.HashEncoder` (plumbing, not which answer a model would give): fast tier."""

from pathlib import Path

import pytest

import tilqa
from tilqa import CorpusError, QuestionError

from helpers import SMALL_CORPUS, HashEncoder, write_corpus


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    base = tmp_path_factory.mktemp("assistant")
    corpus = write_corpus(base / "corpus", SMALL_CORPUS)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=base / "index", embedder=HashEncoder())
    assistant.build()
    return assistant


# -- ask and explain -------------------------------------------------------------------------------


def test_ask_answers_with_the_sentences_explain_chose(small: tilqa.Assistant) -> None:
    question = "How long  are cells expanded in a closed system?"
    answer, explanation = small.ask(question), small.explain(question)
    assert answer.question == explanation.question == "How long are cells expanded in a closed system?"
    sentences = explanation.index.sentences
    chosen = " ".join(sentences[r].text for r in explanation.extraction.sentences)
    assert answer.found and answer.answer == chosen == explanation.answers[0]
    assert answer.confidence == round(explanation.extraction.confidence, 4)
    assert answer.notes == []


def test_explain_lists_every_candidate_best_first_with_the_answer_it_would_give(small: tilqa.Assistant) -> None:
    explanation = small.explain("How long are cells expanded in a closed system?")
    scores = [c.score for c in explanation.candidates]
    assert scores == sorted(scores, reverse=True)
    assert len(explanation.answers) == len(explanation.candidates)
    sentences = explanation.index.sentences
    for candidate, text in zip(explanation.candidates, explanation.answers):
        assert sentences[candidate.sentence].text in text  # with the neighbour it is paired with
    passages = {h.passage for h in explanation.hits}
    assert {c.hit.passage for c in explanation.candidates} <= passages


def test_a_declined_answer_is_empty_and_still_cites_the_closest_passages(small: tilqa.Assistant) -> None:
    answer = small.ask("give me a banana bread recipe")
    assert not answer.found and answer.answer == ""
    assert 0.0 <= answer.confidence < small.settings.min_confidence
    assert len(answer.citations) == 3 and all(c.answer_start is None for c in answer.citations)


def test_an_answer_is_a_frozen_record_that_serialises(small: tilqa.Assistant) -> None:
    answer = small.ask("The license covers PD-1 knockouts?", top_k=2)
    data = answer.to_dict()
    assert data["answer"] == answer.answer and data["found"] is True and len(data["citations"]) == 2
    assert data["citations"][0] == answer.citations[0].to_dict()
    with pytest.raises(AttributeError):
        answer.found = False  # type: ignore[misc]


# -- bad requests: a specific message or a documented clamp, never a crash ------------------------


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02"])
def test_empty_question_is_refused_with_a_clear_message(hash_assistant: tilqa.Assistant, question: str) -> None:
    with pytest.raises(QuestionError, match="the question is empty"):
        hash_assistant.ask(question)
    with pytest.raises(QuestionError, match="the question is empty"):
        hash_assistant.explain(question)


def test_non_text_question_is_refused(hash_assistant: tilqa.Assistant) -> None:
    with pytest.raises(QuestionError, match="must be text"):
        hash_assistant.ask(42)  # type: ignore[arg-type]


def test_huge_question_is_cut_with_a_note(hash_assistant: tilqa.Assistant) -> None:
    answer = hash_assistant.ask("Which IL-2 product did Iovance acquire? " + "word " * 20_000)
    assert len(answer.question) <= hash_assistant.settings.max_question_chars
    assert any("only its first" in n for n in answer.notes)


@pytest.mark.parametrize(
    "question",
    ["Quel produit IL-2 Iovance a-t-il acquis ?", "イオバンスは何を買収しましたか", "🍌🍞❓", "<script>alert(1)</script>", "**bold** _x_ [a](http://x)"],
)
def test_odd_questions_get_an_answer_object_not_an_error(hash_assistant: tilqa.Assistant, question: str) -> None:
    answer = hash_assistant.ask(question)
    assert isinstance(answer.found, bool) and len(answer.citations) == 3
    assert answer.question == question  # kept as text, nothing interpreted


@pytest.mark.parametrize("top_k", [0, -3])
def test_top_k_below_one_is_refused(hash_assistant: tilqa.Assistant, top_k: int) -> None:
    with pytest.raises(QuestionError, match="top_k must be at least 1"):
        hash_assistant.ask("What is TIL?", top_k=top_k)


@pytest.mark.parametrize("top_k", ["3", 2.5, True])
def test_top_k_that_is_not_a_whole_number_is_refused(hash_assistant: tilqa.Assistant, top_k: object) -> None:
    with pytest.raises(QuestionError, match="top_k must be a whole number"):
        hash_assistant.ask("What is TIL?", top_k=top_k)  # type: ignore[arg-type]


def test_huge_top_k_is_clamped_with_a_note(hash_assistant: tilqa.Assistant) -> None:
    answer = hash_assistant.ask("What is TIL?", top_k=10**9)
    assert len(answer.citations) == hash_assistant.settings.max_top_k
    assert any("top_k lowered" in n for n in answer.notes)


@pytest.mark.parametrize(
    "files, message",
    [(None, "does not exist"), ({}, "no readable"), ({"a.txt": b"\xff\xfe\x00bin", "b.md": b"\x81\x82"}, r"\(2 file\(s\) skipped\)")],
)
def test_unusable_corpus_gives_a_specific_error(tmp_path: Path, files, message: str) -> None:
    corpus = tmp_path / "corpus"
    if files is not None:
        write_corpus(corpus, files)
    with pytest.raises(CorpusError, match=message):
        tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index").ask("What is TIL?")


def test_binary_file_renamed_to_txt_is_skipped_and_the_rest_answers(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {
        "photo.txt": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
        "facts.txt": "Lifileucel is a TIL therapy for advanced melanoma.",
    })
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    report = assistant.build()
    assert [s.source for s in report.skipped] == ["photo.txt"] and report.files == 1
    assert assistant.ask("What is lifileucel?").citations[0].source == "facts.txt"
