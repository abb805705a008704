"""Reading files in a worker process within a memory and time budget
(`tilqa.formats.extract_bounded`): a file past either fails alone, saying which, the caller's
memory is untouched, and the next file is read as before."""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from tilqa.formats import ExtractionError, ExtractionLimits, extract, extract_bounded

from hostile import docx_of_many_paragraphs


def test_the_worker_gives_the_same_text_as_reading_in_process(tmp_path: Path) -> None:
    note = tmp_path / "note.md"
    note.write_text("# Trials\n\nThe Phase 2 study enrolled patients.\n", encoding="utf-8")
    assert extract_bounded(note, ExtractionLimits(memory_mb=300, seconds=60)) == extract(note)
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n", encoding="utf-8")
    with pytest.raises(ExtractionError) as in_process:
        extract(empty)
    with pytest.raises(ExtractionError) as in_worker:
        extract_bounded(empty, ExtractionLimits(memory_mb=300, seconds=60))
    assert str(in_worker.value) == str(in_process.value)
    with pytest.raises(ValueError, match="unsupported file type .xyz"):
        extract_bounded(tmp_path / "x.xyz", ExtractionLimits(memory_mb=300, seconds=60))


def test_a_file_needing_more_memory_than_the_budget_fails_alone(tmp_path: Path) -> None:
    # 400,000 paragraphs (about 27 MB of XML, no bomb): lxml and python-docx need far more than
    # 60 MB to read it.
    heavy = docx_of_many_paragraphs(tmp_path / "heavy.docx", 400_000, words=1)
    small = tmp_path / "small.txt"
    small.write_text("The product is frozen after expansion.\n", encoding="utf-8")
    limits = ExtractionLimits(memory_mb=60, seconds=120)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ExtractionError, match="more than 60 MB of memory"):
        extract_bounded(heavy, limits)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 100_000  # kB: not here
    assert extract_bounded(small, limits) == extract(small)


def test_a_file_taking_longer_than_the_budget_is_stopped(tmp_path: Path) -> None:
    heavy = docx_of_many_paragraphs(tmp_path / "slow.docx", 400_000, words=1)
    limits = ExtractionLimits(memory_mb=4000, seconds=0.5)
    with pytest.raises(ExtractionError, match="took longer than 0.5 s"):
        extract_bounded(heavy, limits)
    small = tmp_path / "small.txt"
    small.write_text("Cells are expanded in a closed system.\n", encoding="utf-8")
    assert extract_bounded(small, limits) == extract(small)
