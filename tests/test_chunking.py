from pathlib import Path

from tilqa import Settings
from tilqa.chunking import chunk_document, heading_text, paragraphs
from tilqa.documents import SECTION_SEPARATOR, Document
from tilqa.indexing import load_corpus

from helpers import document_text


def doc(text: str, source: str = "d.txt") -> Document:
    return Document(source=source, text=text, sha256="hash")


def test_every_passage_and_sentence_round_trips_on_the_real_corpus(corpus_dir: Path) -> None:
    documents, _ = load_corpus(corpus_dir)
    for document in documents:
        passages = chunk_document(document)
        assert len(passages) > 20
        on_disk = document_text(Settings.load(environ={}, corpus_dir=corpus_dir), document.source)
        for p in passages:
            assert on_disk[p.start : p.end] == p.text
            for s in p.sentences:
                assert on_disk[s.start : s.end] == s.text
                assert p.start <= s.start < s.end <= p.end


def test_headings_are_paths_and_never_answer_sentences(corpus_dir: Path) -> None:
    documents, _ = load_corpus(corpus_dir)
    passages = chunk_document(documents[0])
    sections = {p.section for p in passages}
    assert "Current Research Focus › Current Clinical Trials › Metastatic Melanoma Trials" in sections
    sentences = {s.text for p in passages for s in p.sentences}
    for heading in ("Current Clinical Trials", "Metastatic Melanoma Trials:", "Conclusion"):
        assert not any(s.strip().endswith(heading) for s in sentences), heading
    # The dateline is neither a heading nor part of prose: a passage of its own, under the title.
    (dateline,) = [p for p in passages if "2025" in p.text and p.text.startswith("20 March")]
    assert dateline.text == "20 March 2025"
    assert dateline.section == "What is the research and development focus of Iovance Biotherapeutics?"
    assert not any("20 March" in s and s != "20 March 2025" for s in sentences)
    melanoma = [p for p in passages if p.section.endswith("Metastatic Melanoma Trials")]
    assert "C-144-01" in melanoma[0].text


def test_a_paragraph_break_ends_a_passage_when_short_paragraphs_are_not_joined() -> None:
    text = "Topic\nFirst sentence here. Second sentence here.\n\nThird sentence in a new paragraph.\n"
    passages = chunk_document(doc(text), passage_sentences=5, passage_overlap=1, join_short=False)
    assert [p.text for p in passages] == [
        "First sentence here. Second sentence here.",
        "Third sentence in a new paragraph.",
    ]
    assert passages[1].section == "Topic"


def test_short_paragraphs_under_one_heading_are_read_on_until_a_passage_is_full() -> None:
    """One-sentence paragraphs (a web page's) join into passages of `passage_sentences`; a new
    heading ends the run, and the passage's text spans the paragraph breaks exactly."""
    text = (
        "## Results\n\nThe response rate was 31 percent.\n\nIt was measured at week 12.\n\n"
        "Most responses lasted a year.\n\n## Safety\n\nNo new signal was seen.\n"
    )
    document = doc(text)
    passages = chunk_document(document, passage_sentences=3, passage_overlap=1)
    assert [len(p.sentences) for p in passages] == [3, 1]
    first, second = passages
    assert first.text == "The response rate was 31 percent.\n\nIt was measured at week 12.\n\nMost responses lasted a year."
    assert text[first.start : first.end] == first.text and first.section == "Results"
    assert second.text == "No new signal was seen." and second.section == "Safety"


def test_windows_overlap_inside_a_long_paragraph() -> None:
    text = " ".join(f"Sentence number {i} is here." for i in range(7))
    passages = chunk_document(doc(text), passage_sentences=3, passage_overlap=1)
    assert [len(p.sentences) for p in passages] == [3, 3, 3]
    assert passages[0].sentences[-1] == passages[1].sentences[0]


def test_abbreviations_do_not_split_sentences() -> None:
    text = "Iovance Biotherapeutics, Inc. is a company. It works with the U.S. Food and Drug Administration."
    passages = chunk_document(doc(text))
    assert [s.text for s in passages[0].sentences] == [
        "Iovance Biotherapeutics, Inc. is a company.",
        "It works with the U.S. Food and Drug Administration.",
    ]


def test_markdown_headings_and_bullets() -> None:
    text = "# Guide\n\n## Setup\n- Install the package first.\n- Then run the build.\n"
    spans = list(paragraphs(doc(text)))
    assert [text[s:e] for s, e, _ in spans] == ["Install the package first.", "Then run the build."]
    assert spans[0][2] == f"Guide{SECTION_SEPARATOR}Setup"


def test_heading_detection() -> None:
    assert heading_text("Current Clinical Trials") == "Current Clinical Trials"
    assert heading_text("- Metastatic Melanoma Trials:") == "Metastatic Melanoma Trials"
    assert heading_text("What is the focus of the company?") == "What is the focus of the company?"
    assert heading_text("This is a sentence.") is None
    assert heading_text("---") is None


def test_hard_wrapped_paragraphs_are_prose_not_headings() -> None:
    text = "Results\nThe company has multiple ongoing Phase 2\nclinical studies of lifileucel. They\ncontinue.\n"
    (passage,) = chunk_document(doc(text))
    assert passage.section == "Results"
    assert passage.text == "The company has multiple ongoing Phase 2\nclinical studies of lifileucel. They\ncontinue."
    assert len(passage.sentences) == 2


def test_a_dateline_is_a_paragraph_of_its_own_in_place() -> None:
    text = "Company Report\n\n20 March 2025\nOverview\nThe company makes cells.\n\nMarch 3, 2026\nA later note.\n"
    spans = list(paragraphs(doc(text)))
    assert [(text[s:e], section) for s, e, section in spans] == [
        ("20 March 2025", "Company Report"),  # before any prose: under the title
        ("The company makes cells.", "Overview"),  # the heading after the dateline keeps its level
        ("March 3, 2026", "Overview"),
        ("A later note.", "Overview"),
    ]
