"""The command line, run in process: exit codes and output. Plumbing runs with HashEncoder;
`tilqa eval`, which measures answers, with the real model."""

import json
from pathlib import Path

import pytest

import tilqa
import tilqa.cli
from tilqa.cli import run

from helpers import SMALL_CORPUS, HashEncoder, write_corpus


@pytest.fixture()
def folders(tmp_path: Path) -> list[str]:
    write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    return ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]


@pytest.fixture()
def hash_cli(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line's assistants embed with HashEncoder."""
    encoder = HashEncoder()
    monkeypatch.setattr(
        tilqa.cli, "Assistant", lambda settings, embedder=None: tilqa.Assistant(settings=settings, embedder=encoder)
    )


def test_build_then_nothing_to_do(folders: list[str], hash_cli, capsys) -> None:
    assert run(["build", *folders]) == 0
    assert "built index: 2 files, 3 passages" in capsys.readouterr().out
    assert run(["build", *folders, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rebuilt"] is False and report["embedded"] == 0


def test_ask_prints_answer_and_numbered_citations(folders: list[str], hash_cli, capsys) -> None:
    assert run(["ask", "Who licensed the gene-editing technology?", *folders]) == 0
    out = capsys.readouterr().out
    assert "Cellectis" in out.splitlines()[0]
    assert "[1] notes/partners.md  chars " in out and "Partners" in out


def test_ask_json_is_answer_to_dict(folders: list[str], hash_cli, capsys) -> None:
    assert run(["ask", "Who licensed the gene-editing technology?", "--top-k", "2", "--json", *folders]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"question", "answer", "found", "confidence", "citations", "notes", "understood_as", "alternatives"}
    assert len(data["citations"]) == 2


def test_missing_corpus_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert run(["ask", "What is TIL?", "--corpus", str(tmp_path / "nope"), "--index", str(tmp_path / "i")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"tilqa: error: corpus directory {tmp_path / 'nope'} does not exist"


def test_empty_question_is_an_error_not_a_traceback(folders: list[str], capsys) -> None:
    assert run(["ask", "   ", *folders]) == 2
    assert "the question is empty" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["ask"], ["ask", "q", "--top-k", "0"], ["serve", "--port", "99999"], ["frobnicate"]])
def test_bad_arguments_exit_with_usage(argv: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(argv)
    assert exit_info.value.code == 2
    assert "usage: tilqa" in capsys.readouterr().err


@pytest.mark.model
def test_eval_prints_the_measures(folders: list[str], tmp_path: Path, capsys) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text(
        json.dumps({"id": "1", "question": "Who licensed the gene-editing technology?", "answerable": True,
                    "evidence": ["licensed a gene-editing technology from Cellectis"], "keywords": [["Cellectis"]]}) + "\n"
        + json.dumps({"id": "2", "question": "banana bread recipe", "answerable": False}) + "\n",
        "utf-8",
    )
    assert run(["eval", str(questions), "--json", *folders]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["answerable"] == 1 and report["accuracy"] == 1.0 and report["grounded"] == 1.0


@pytest.mark.model
def test_a_reader_that_stops_early_gets_no_traceback(folders: list[str]) -> None:
    """`tilqa ask … | head -1`: the pipe closes before tilqa writes; it exits quietly."""
    import subprocess
    import sys

    assert run(["build", *folders]) == 0
    command = [sys.executable, "-m", "tilqa", "ask", "Who licensed the gene-editing technology?", *folders]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the answer is written
    err = process.stderr.read().decode()
    assert process.wait(timeout=300) == 1
    assert "Traceback" not in err and "BrokenPipe" not in err, err


def test_chat_is_a_conversation_that_understands_follow_ups(folders: list[str], hash_cli, capsys, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO("Who licensed the gene-editing technology?\n\nwho makes it?\n"))
    assert run(["chat", "--top-k", "1", *folders]) == 0
    out = capsys.readouterr().out
    assert out.count("[1] ") == 2  # two answers: the empty line is skipped, end of input leaves
    assert "(understood as: who makes gene-editing technology?)" in out, out


def test_version_prints_the_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"tilqa {tilqa.__version__}\n"


class InterruptedEncoder(HashEncoder):
    """HashEncoder, but the user presses Ctrl+C while it embeds."""

    def encode_with_tokens(self, texts, show_progress=None):  # noqa: ANN001
        raise KeyboardInterrupt


def test_ctrl_c_while_building_exits_130_without_a_traceback_or_an_index(
    folders: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    from tilqa.index import current_build

    encoder = InterruptedEncoder()
    monkeypatch.setattr(
        tilqa.cli, "Assistant", lambda settings, embedder=None: tilqa.Assistant(settings=settings, embedder=encoder)
    )
    assert run(["build", *folders]) == 130
    captured = capsys.readouterr()
    assert captured.out == "" and "Traceback" not in captured.err
    assert current_build(tmp_path / "index") is None  # nothing half-written went live


def test_a_build_locked_by_another_process_is_a_one_line_error(
    folders: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """The lock is really held; the build waits 1 s for it (not the default 10 minutes)."""
    from tilqa.index import build_lock
    from tilqa.indexing import refresh_index

    class Impatient(tilqa.Assistant):
        def build(self, force: bool = False, show_progress: bool | None = None) -> tilqa.BuildReport:
            return refresh_index(self.settings, self.embedder, force=force, lock_timeout=1)

    encoder = HashEncoder()
    monkeypatch.setattr(tilqa.cli, "Assistant", lambda settings, embedder=None: Impatient(settings=settings, embedder=encoder))
    with build_lock(tmp_path / "index", timeout=5):
        assert run(["build", *folders]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        f"tilqa: error: another process is still building the index in {tmp_path / 'index'} after 1 s; "
        "try again when it has finished"
    )
    assert run(["build", *folders]) == 0  # free again
