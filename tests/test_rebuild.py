"""Background rebuilds (`tilqa/rebuild.py`): what `tilqa serve` logs when it rebuilds."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

import tilqa
from helpers import SMALL_CORPUS, HashEncoder, write_corpus
from tilqa.rebuild import RebuildWorker


def test_each_rebuild_is_logged_with_its_cause_reason_and_time(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corpus = write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    (corpus / "new.txt").write_text("A new file about TIL expansion.\n", encoding="utf-8")
    worker = RebuildWorker(assistant, after="an upload")
    with caplog.at_level(logging.INFO, logger="tilqa.rebuild"):
        rebuilt = worker.request().result(timeout=120)
    assert rebuilt.report is not None and rebuilt.report.rebuilt
    lines = [r.getMessage() for r in caplog.records if r.name == "tilqa.rebuild"]
    assert len(lines) == 1 and lines[0].startswith("rebuild after an upload: built index: 3 files"), lines
    assert f"{rebuilt.report.seconds:.1f} s ({rebuilt.report.reason})" in lines[0]
    assert "new.txt" in rebuilt.report.reason
