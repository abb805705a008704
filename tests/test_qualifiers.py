"""What qualifies a question (`tilqa.answering.qualifiers`): its figures, its names and its words
rare in general English, which an answer's document must hold. Fast tier (wordfreq, no model)."""

from tilqa.answering.qualifiers import initials, missing_qualifiers, question_qualifiers


def test_figures_names_and_rare_words_qualify_a_question() -> None:
    qualifiers = question_qualifiers("How long did oral intubation take in a Bell 412 helicopter in 2005?")
    assert ("412",) in qualifiers and ("2005",) in qualifiers  # figures
    assert ("bell",) in qualifiers  # a name: capitalised inside the question
    assert ("intub",) in qualifiers  # rare in English (Zipf 2.5)
    assert ("helicopt",) not in qualifiers and ("long",) not in qualifiers  # common words ask, not qualify


def test_words_users_paraphrase_with_and_asking_words_do_not_qualify() -> None:
    assert question_qualifiers("What shortcomings might hold back uptake of the rebranded dosing?") == []
    assert question_qualifiers("What is the trial ID?") == []


def test_what_a_question_sets_aside_and_a_yes_no_questions_figures_do_not_qualify() -> None:
    assert question_qualifiers("Outside the US, where is the company filing?") == []
    assert question_qualifiers("Apart from Europe, which markets?") == []
    assert question_qualifiers("Was the response rate 36 percent?", yes_no=True) == []
    assert ("36",) in question_qualifiers("Which cohort had 36 patients?")


def test_identifiers_keep_their_letters_and_quoted_values_do_not_qualify() -> None:
    assert ("md5",) in question_qualifiers("Why can't md5 be used here?")
    assert question_qualifiers("What does setting it to 'ANY 3 (s1, s2)' do?") == [("s1",), ("s2",)]  # not the 3


def test_a_qualifier_is_held_exactly_spelled_alike_or_spelled_out() -> None:
    context = {"methotrex", "folic", "acid"} | initials("trials in the United States of America")
    assert missing_qualifiers([("methotrex",), ("us",), ("usa",)], context) == []
    assert missing_qualifiers([("methotrax",)], context) == []  # a typo, spelled alike (0.89)
    assert missing_qualifiers([("dutch",), ("folic",)], context) == [("dutch",)]
    assert missing_qualifiers([("dutch",)], {"folic"}, {"dutch"}) == []  # held by one of the contexts
