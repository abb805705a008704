"""Follow-up questions made self-contained (`tilqa/followups.py`), and `Assistant.ask(history=...)`.

The rewriting is plain text work, so most of this is the fast tier; whether a follow-up asked with
its history gets the answer of its self-contained form is checked on the real model at the end
(the figures over whole conversation sets are `benchmarks/followups.py`'s)."""

from __future__ import annotations

import pytest

import tilqa
from tilqa.followups import Turn, leans_on_history, understand

TRIAL = Turn(question="What is TILVANCE-301?", answer="TILVANCE-301 is a Phase 3 trial of lifileucel.", found=True)
RENAME = Turn(
    question="When did Iovance change its name?",
    answer="Originally known as Lion Biotechnologies, Iovance transitioned to its current name in 2017.",
    found=True,
)
PRODUCT = Turn(
    question="Which IL-2 product did Iovance acquire?",
    answer="A notable initiative is Iovance’s acquisition of worldwide rights to Proleukin® from Clinigen Limited.",
    found=True,
)


def test_a_pronoun_stands_for_the_previous_subject() -> None:
    assert understand("When did it start?", [TRIAL]) == "When did TILVANCE-301 start?"


def test_a_pronoun_after_a_which_question_stands_for_the_entity_its_answer_named() -> None:
    assert understand("what is that drug used for?", [PRODUCT]) == "what is Proleukin® used for?"


def test_each_pronoun_is_resolved_not_only_the_first() -> None:
    licensed = Turn(question="Who licensed TALEN to Iovance?", answer="Iovance licensed TALEN from Cellectis.", found=True)
    understood = understand("and which gene do they knock out with it?", [licensed])
    assert understood == "Which gene do Cellectis knock out with TALEN?"
    technique = Turn(question="Which gene editing technique is Iovance using?", answer="Iovance uses TALEN® editing.", found=True)
    assert understand("who licensed it to them?", [technique]) == "who licensed TALEN® to them?"  # not "TALEN® to TALEN®"


def test_a_demonstrative_keeps_its_noun_when_the_antecedent_is_a_description() -> None:
    manufacturing = Turn(question="How long does TIL manufacturing take?")
    assert understand("where is that facility?", [manufacturing]) == "where is the TIL manufacturing facility?"
    products = Turn(question="What are the TIL products?")
    assert understand("what will those studies focus on?", [products]) == "what will the TIL studies focus on?"


def test_a_demonstrative_before_a_verb_stands_alone() -> None:
    therapy = Turn(question="What is TIL therapy?")
    assert understand("why would that work in tumors?", [therapy]) == "why would TIL therapy work in tumors?"


def test_a_bare_why_takes_the_previous_predicate() -> None:
    assert understand("why?", [RENAME]) == "Why did Iovance change its name?"


def test_an_elliptical_follow_up_fills_the_previous_frame() -> None:
    previous = Turn(question="What is the response rate of lifileucel in melanoma?")
    assert understand("and in cervical cancer?", [previous]) == (
        "What is the response rate of lifileucel in cervical cancer?"
    )


@pytest.mark.parametrize("question", [
    "Which regulatory agencies have to evaluate TIL therapies?",
    "Who is the CEO of Iovance?",
    "What was Iovance called before it got its current name?",  # "it" has its antecedent in the question
])
def test_a_self_contained_question_is_taken_as_typed(question: str) -> None:
    assert not leans_on_history(question)
    assert understand(question, [TRIAL]) == question


def test_without_history_nothing_changes() -> None:
    assert understand("When did it start?", []) == "When did it start?"


def test_history_turns_come_from_answers_dicts_or_questions() -> None:
    answer = tilqa.Answer(question="q", answer="a", found=True, confidence=0.5, understood_as="full q")
    assert Turn.of(answer) == Turn(question="full q", answer="a", found=True)
    assert Turn.of(answer.to_dict()) == Turn(question="full q", answer="a", found=True)
    assert Turn.of("What is TILVANCE-301?") == Turn(question="What is TILVANCE-301?")
    with pytest.raises(tilqa.QuestionError, match="history must be a list"):
        Turn.history("What is TILVANCE-301?")
    with pytest.raises(tilqa.QuestionError, match="not int"):
        Turn.history([3])


def test_understood_as_is_the_question_when_nothing_was_needed(hash_assistant: tilqa.Assistant) -> None:
    first = hash_assistant.ask("What is TILVANCE-301?")
    assert first.understood_as == first.question == "What is TILVANCE-301?"
    follow = hash_assistant.ask("when did it start?", history=[first])
    assert follow.question == "when did it start?"
    assert follow.understood_as == "when did TILVANCE-301 start?"
    assert follow.to_dict()["understood_as"] == follow.understood_as
    with pytest.raises(tilqa.QuestionError):
        hash_assistant.ask("why?", history="What is TILVANCE-301?")


@pytest.mark.model
def test_a_follow_up_with_its_history_gets_the_answer_of_its_self_contained_form(assistant: tilqa.Assistant) -> None:
    first = assistant.ask("Which gene editing technique is Iovance using on its TILs?")
    follow = assistant.ask("who licensed it to them?", history=[first])
    bare = assistant.ask("who licensed it to them?")
    assert "TALEN" in follow.understood_as
    assert follow.found and "Cellectis" in follow.answer
    assert "Cellectis" not in bare.answer  # asked alone, the follow-up does not find it


@pytest.mark.model
def test_a_change_of_topic_is_answered_as_if_asked_first(assistant: tilqa.Assistant) -> None:
    first = assistant.ask("What is TILVANCE-301?")
    changed = assistant.ask("Which IL-2 product did Iovance acquire?", history=[first])
    assert changed.understood_as == changed.question
    assert changed.answer == assistant.ask("Which IL-2 product did Iovance acquire?").answer
