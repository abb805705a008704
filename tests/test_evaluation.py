"""Question files for `tilqa eval`: read as the format says, or refused naming what is wrong."""

import json
from pathlib import Path

import pytest

from tilqa import EvalFileError
from tilqa.evaluation import keywords_match, load_questions

GOOD = {"id": 1, "question": "Who licensed it?", "answerable": True, "evidence": ["from Cellectis"], "keywords": [["Cellectis"]]}


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def test_a_question_file_is_read_record_by_record(tmp_path: Path) -> None:
    path = write(tmp_path / "q.jsonl", [json.dumps(GOOD), "", json.dumps({"id": "2", "question": "Banana bread?", "answerable": False})])
    first, second = load_questions(path)
    assert (first.id, first.question, first.answerable) == ("1", "Who licensed it?", True)
    assert first.evidence == ("from Cellectis",) and first.keywords == (("Cellectis",),)
    assert (second.id, second.answerable, second.evidence, second.keywords) == ("2", False, (), ())


@pytest.mark.parametrize(
    "bad, reason",
    [
        ('{"id": 3, "answerable": true}', "'question'"),  # a record without its question
        ("{not json", "Expecting property name"),
        ('["a", "list"]', "list indices"),
    ],
)
def test_a_bad_line_raises_eval_file_error_naming_the_line(tmp_path: Path, bad: str, reason: str) -> None:
    path = write(tmp_path / "q.jsonl", [json.dumps(GOOD), "", bad])
    with pytest.raises(EvalFileError, match="q.jsonl:3: not a question record") as error:
        load_questions(path)
    assert reason in str(error.value)


def test_a_missing_or_undecodable_file_raises_eval_file_error(tmp_path: Path) -> None:
    with pytest.raises(EvalFileError, match="cannot read question file"):
        load_questions(tmp_path / "absent.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes('{"question": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(EvalFileError, match="cannot read question file"):
        load_questions(tmp_path / "latin1.jsonl")


def test_keywords_match_every_group_by_any_alternative_case_and_dashes_folded() -> None:
    assert keywords_match("The FDA approved it in 2024.", (("fda", "Food and Drug"), ("2024",)))
    assert not keywords_match("The FDA approved it.", (("fda",), ("2024",)))
    assert keywords_match("A gene‑editing step", (("gene-editing",),))


def test_a_library_question_is_right_only_from_its_source_document(tmp_path: Path) -> None:
    """Two documents state a response rate; a question naming one document's `source` is wrong
    when answered from the other, and its evidence counts only in that document's citations."""
    import tilqa
    from tilqa.evaluation import judge

    from helpers import HashEncoder

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "alpha.txt").write_text("Alpha trial\n\nThe zanthorium cohort response rate was 31 percent overall.\n")
    (corpus / "beta.txt").write_text("Beta trial\n\nThe quibblex cohort response rate was 48 percent overall.\n")
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    asked = "zanthorium cohort response rate"
    row = {"id": "q", "question": asked, "answerable": True, "evidence": ["zanthorium cohort response rate was 31"],
           "keywords": [["31"]]}
    path = write(tmp_path / "q.jsonl", [json.dumps(dict(row, source="alpha.txt")), json.dumps(dict(row, id="w", source="beta.txt"))])
    right, wrong_source = load_questions(path)
    assert right.source == "alpha.txt"
    answer = assistant.ask(asked, 3)
    # The premise: the named document's sentence is found and leads.
    assert answer.found and "31" in answer.answer and answer.citations[0].source == "alpha.txt"
    assert judge(assistant, right, 3).correct and judge(assistant, right, 3).evidence_found
    assert not judge(assistant, wrong_source, 3).evidence_found
    assert not judge(assistant, wrong_source, 3).correct
