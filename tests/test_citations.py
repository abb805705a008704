"""Citations (`tilqa.answering.citations`): every passage's offsets index its document's text, the
answer is marked inside the passage that holds it, and passages are cited in the order the answer
ranked them. Embedded with `helpers.HashEncoder`: which passage answers is plumbing here (each
question names the words of one passage), not the model's judgement. Fast tier."""

import pytest

import tilqa
from tilqa.answering import answer_text, cite

from helpers import SMALL_CORPUS, HashEncoder, document_text, write_corpus

# The second sentence of its passage: the answer does not start where the passage does.
SECOND_SENTENCE = "The license covers PD-1 knockouts?"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    base = tmp_path_factory.mktemp("citations")
    corpus = write_corpus(base / "corpus", SMALL_CORPUS)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=base / "index", embedder=HashEncoder())
    assistant.build()
    return assistant


@pytest.mark.parametrize(
    "question",
    [SECOND_SENTENCE, "How long are cells expanded in a closed system?", "give me a banana bread recipe"],
)
def test_every_citations_offsets_index_its_documents_text(small: tilqa.Assistant, question: str) -> None:
    citations = small.ask(question, top_k=3).citations
    assert len(citations) == 3
    for c in citations:
        assert document_text(small, c.source)[c.start : c.end] == c.text
        assert small.document_text(c.source)[c.start : c.end] == c.text


def test_the_answer_is_marked_inside_the_passage_that_leads(small: tilqa.Assistant) -> None:
    answer = small.ask(SECOND_SENTENCE)
    assert answer.found and answer.answer == "The license covers PD-1 knockouts."
    first, *rest = answer.citations
    assert first.answer_start > 0  # inside the passage, not at its start
    assert first.text[first.answer_start : first.answer_end] == answer.answer
    text = document_text(small, first.source)
    assert text[first.start + first.answer_start : first.start + first.answer_end] == answer.answer
    # The other passages do not hold the answer, and say so.
    assert rest and all(c.answer_start is None and c.answer_end is None for c in rest)
    assert answer_text(answer.citations) == answer.answer


def test_a_declined_answer_marks_no_passage(small: tilqa.Assistant) -> None:
    explanation = small.explain(SECOND_SENTENCE)
    citations = cite(explanation.index, explanation.extraction, explanation.hits, 3, found=False)
    assert len(citations) == 3 and all(c.answer_start is None for c in citations)
    assert answer_text(citations) == ""
    assert answer_text([]) == ""


def test_passages_are_cited_as_the_answer_ranked_them_then_as_retrieved(small: tilqa.Assistant) -> None:
    explanation = small.explain("How long are cells expanded in a closed system?")
    data, extraction, hits = explanation.index, explanation.extraction, explanation.hits
    ranked = [h.passage for h in extraction.ranked_hits]
    expected = ranked + [h.passage for h in hits if h.passage not in ranked]
    for k in (1, 2, len(expected)):
        citations = cite(data, extraction, hits, k, found=True)
        assert [(c.source, c.start) for c in citations] == [
            (data.passages[p].source, data.passages[p].start) for p in expected[:k]
        ]
    scores = {h.passage: round(h.score, 4) for h in hits}
    assert [c.score for c in cite(data, extraction, hits, len(expected), found=True)] == [scores[p] for p in expected]
