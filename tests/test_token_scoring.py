"""Token-level scoring: which question tokens count, and MaxSim on the real model's token vectors."""

from pathlib import Path

import numpy as np
import pytest

import tilqa
from tilqa.index import IndexData
from tilqa.token_scoring import QuestionTokens, TokenScorer, content_mask

from helpers import write_corpus


def asked(tmp_path: Path, text: str, question: str) -> tuple[tilqa.Assistant, IndexData, TokenScorer, QuestionTokens]:
    """An assistant on a one-file corpus, its loaded index, a token scorer of that index as answers
    are scored with, and the question's tokens."""
    corpus = write_corpus(tmp_path / "corpus", {"notes.txt": text})
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index")
    data = assistant.index
    assert data.tokens is not None
    _, tokens = assistant.encode_question(question)
    assert tokens is not None
    return assistant, data, TokenScorer(data.tokens, data.antecedents), tokens


def test_content_tokens_are_word_pieces_that_are_not_stop_words_or_punctuation() -> None:
    pieces = ["what", "##cel", "cell", "?", "▁the", "Ġtumor", "'", "##s", "2"]
    # "##s" is the stop word "s" (NLTK's list holds the pieces of "it's", "don't").
    assert content_mask(pieces).tolist() == [False, True, True, False, False, True, False, False, True]


@pytest.mark.model
def test_a_sentence_holding_the_asked_detail_outscores_one_echoing_the_topic(tmp_path: Path) -> None:
    """Token matching: each content word of the question finds its closest token in a sentence,
    weighted by rarity. The sentence holding the rare asked-for words scores higher."""
    question = "Which quality of the apples does the new schedule raise, their sugar content?"
    assistant, _, scorer, tokens = asked(tmp_path, (
        "Orchards\n"
        "The harvest schedule is being revised across the company's orchards. "
        "The new schedule raises the sugar content of the picked apples.\n"
    ), question)
    pieces = assistant.embedder.token_strings(tokens.ids)
    assert "which" in pieces and not tokens.content[pieces.index("which")]
    scores, _ = scorer.scores(tokens, [0, 1])
    assert scores[1] > scores[0]
    assert np.all((scores > 0) & (scores <= 1.0001))


@pytest.mark.model
def test_a_question_naming_a_section_matches_the_heading_a_sentence_sits_under(tmp_path: Path) -> None:
    """Two sentences alike but for their headings: the question names one heading, and only
    matching the heading's tokens tells the two apart."""
    question = "How did the new seed do in the greenhouse?"
    assistant, data, scorer, tokens = asked(tmp_path, (
        "Field Trials\nThe new seed grew well in dry soil.\n\n"
        "Greenhouse Results\nThe new seed grew well in cold air.\n"
    ), question)
    rows = [i for i, s in enumerate(data.sentences) if "seed" in s.text]
    field, greenhouse = sorted(rows, key=lambda i: "cold air" in data.sentences[i].text)
    with_headings, own = scorer.scores(tokens, [field, greenhouse])
    assert abs(own[1] - own[0]) < 0.05
    assert with_headings[1] > with_headings[0] + 0.2
    assert "cold air" in assistant.ask(question).answer


@pytest.mark.model
def test_a_sentence_referring_back_is_matched_with_the_sentence_it_refers_to(tmp_path: Path) -> None:
    """"This change…" names its subject only in the sentence before it: the question's words for
    that subject are matched there too, so it outranks a sentence about other patients that
    repeats the question's words, as it does not when read alone."""
    question = "Which patients gain the most from switching off the PD-1 gene in the cells?"
    assistant, data, scorer, tokens = asked(tmp_path, (
        "Gene Editing\n"
        "The company uses gene editing to switch off the PD-1 gene in its cells. "
        "This change matters most for people whose tumours make large amounts of blocking proteins.\n\n"
        "Trials\n"
        "The trial gives the cells to patients who gained little from PD-1 drugs.\n"
    ), question)
    rows = {s.text.split()[1]: i for i, s in enumerate(data.sentences)}
    anaphor, before, other = rows["change"], rows["company"], rows["trial"]
    assert {r: int(a) for r, a in enumerate(scorer.antecedents) if a >= 0} == {anaphor: before}
    with_antecedent, _ = scorer.scores(tokens, [anaphor])
    alone, _ = TokenScorer(scorer.tokens).scores(tokens, [anaphor])
    assert with_antecedent[0] > alone[0] + 0.05

    ranked = [c.sentence for c in assistant.explain(question).candidates]
    assert ranked.index(anaphor) < ranked.index(other)
    assert "blocking proteins" in assistant.ask(question).answer
