"""Bad input: every kind gets a specific message or a documented clamp, and nothing breaks.
What happens around an answer is checked with HashEncoder; the answers themselves with the real
model."""

from pathlib import Path

import pytest

import tilqa
from tilqa import CorpusError, QuestionError
from tilqa.question import clean_question, restore_apostrophes

from helpers import HashEncoder, write_corpus


@pytest.mark.parametrize("question", ["", "   \n\t ", "\x00\x01\x02"])
def test_empty_question_is_refused_with_a_clear_message(hash_assistant: tilqa.Assistant, question: str) -> None:
    with pytest.raises(QuestionError, match="the question is empty"):
        hash_assistant.ask(question)


def test_non_text_question_is_refused(hash_assistant: tilqa.Assistant) -> None:
    with pytest.raises(QuestionError, match="must be text"):
        hash_assistant.ask(42)  # type: ignore[arg-type]


def test_huge_question_is_cut_with_a_note(hash_assistant: tilqa.Assistant) -> None:
    answer = hash_assistant.ask("Which IL-2 product did Iovance acquire? " + "word " * 20_000)
    assert len(answer.question) <= hash_assistant.settings.max_question_chars
    assert any("only its first" in n for n in answer.notes)


@pytest.mark.model
def test_control_characters_are_removed_and_noted(assistant: tilqa.Assistant) -> None:
    answer = assistant.ask("Which IL-2\x00 product did\x07 Iovance acquire?")
    assert "\x00" not in answer.question and "Proleukin" in answer.answer
    assert any("control character" in n for n in answer.notes)


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


def test_huge_top_k_is_clamped_with_a_note(hash_assistant: tilqa.Assistant) -> None:
    answer = hash_assistant.ask("What is TIL?", top_k=10**9)
    assert len(answer.citations) == hash_assistant.settings.max_top_k
    assert any("top_k lowered" in n for n in answer.notes)


def test_whitespace_is_collapsed() -> None:
    assert clean_question("  what\n\n is   TIL ", 100) == ("what is TIL", [])


@pytest.mark.parametrize(
    "typed, restored",
    [
        ("why dont TILs work", "why don't TILs work"),
        ("Whats lifileucel", "What's lifileucel"),
        ("DOESNT it", "DOESN'T it"),
        ("why cant it scale, and wont it", "why can't it scale, and won't it"),
        ("hows it made, wheres it made, whos making it", "how's it made, where's it made, who's making it"),
        ("what isnt known (yet)?", "what isn't known (yet)?"),
        # English words of their own, and contractions that already have their apostrophe
        ("its well were ill shell lets id", "its well were ill shell lets id"),
        ("don't what's Iovance's", "don't what's Iovance's"),
        ("undone donation whatsoever", "undone donation whatsoever"),
    ],
)
def test_apostrophes_of_contractions_are_restored(typed: str, restored: str) -> None:
    assert restore_apostrophes(typed) == restored


@pytest.mark.model
def test_a_contraction_typed_without_apostrophe_is_answered_as_with_one(assistant: tilqa.Assistant) -> None:
    # Without the apostrophe the model cuts "doesnt" into the word pieces "doesn" + "##t", and this
    # question got another answer than its spelled-out twin.
    typed, spelled = assistant.ask("why doesnt iovance use car-t cells"), assistant.ask("why doesn't iovance use car-t cells")
    assert typed.question == spelled.question == "why doesn't iovance use car-t cells"
    assert (typed.answer, typed.citations) == (spelled.answer, spelled.citations)


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
