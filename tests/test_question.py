"""Cleaning a question before it is answered (`tilqa.question`): control characters removed and
noted, white space collapsed, apostrophes of contractions restored, a long question cut at a word
and noted. Fast, but two tests that check the answer a cleaned question gets (real model). What
`Assistant.ask` does with a bad request is in test_assistant.py."""

import pytest

import tilqa
from tilqa import QuestionError
from tilqa.question import clean_question, restore_apostrophes


@pytest.mark.model
def test_control_characters_are_removed_and_noted(assistant: tilqa.Assistant) -> None:
    answer = assistant.ask("Which IL-2\x00 product did\x07 Iovance acquire?")
    assert "\x00" not in answer.question and "Proleukin" in answer.answer
    assert any("control character" in n for n in answer.notes)


def test_whitespace_is_collapsed() -> None:
    assert clean_question("  what\n\n is   TIL ", 100) == ("what is TIL", [])


def test_clean_question_removes_control_characters_with_a_note() -> None:
    assert clean_question("Which IL-2\x00 product\x07 now?", 100) == (
        "Which IL-2 product now?", ["2 control character(s) were removed from the question"]
    )


def test_a_long_question_is_cut_at_a_word_with_a_note() -> None:
    assert clean_question("alpha beta gamma delta", 13) == (
        "alpha beta", ["the question was 22 characters; only its first 10 were used"]
    )
    assert clean_question("abcdefghij", 4)[0] == "abcd"  # one word longer than the limit is cut in it


@pytest.mark.parametrize("question, message", [(" \n\x00 ", "the question is empty"), (None, "must be text, not NoneType")])
def test_nothing_left_to_ask_is_refused(question: object, message: str) -> None:
    with pytest.raises(QuestionError, match=message):
        clean_question(question, 100)


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
@pytest.mark.parametrize(
    "typed, spelled, fact",
    [
        # The facts are the corpus's answers: Iovance acquired Proleukin from Clinigen; TALEN
        # gene editing is licensed from Cellectis.
        ("whats the IL-2 product iovance acquired?", "what's the IL-2 product iovance acquired?", "Proleukin"),
        ("whos the TALEN technology licensed from?", "who's the TALEN technology licensed from?", "Cellectis"),
    ],
)
def test_a_contraction_typed_without_apostrophe_is_answered_as_with_one(
    assistant: tilqa.Assistant, typed: str, spelled: str, fact: str
) -> None:
    # Without the apostrophe the model cuts "whats" into word pieces ("what" + "##s"), and a
    # question could get another answer than its spelled-out twin: both must find the fact.
    answer, twin = assistant.ask(typed), assistant.ask(spelled)
    assert answer.question == twin.question == spelled
    assert answer.found and fact in answer.answer
    assert (answer.answer, answer.citations) == (twin.answer, twin.citations)


def test_invisible_format_characters_are_removed_with_a_note() -> None:
    """U+202E shows the text after it reversed; U+FEFF is invisible: both were kept (issue 31)."""
    assert clean_question("\ufeffWhat is \u202eTIL\u202c?", 100) == (
        "What is TIL?", ["3 control character(s) were removed from the question"]
    )
