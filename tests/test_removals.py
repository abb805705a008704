"""Removing a corpus file (`tilqa/removals.py`): only a file the corpus scan lists, by its name."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import tilqa
from tilqa.removals import removable_files, remove_file

from helpers import write_corpus


def test_a_listed_file_is_removed_and_no_longer_listed(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.", "sub/b.md": "# B\n\nBeta."})
    assert removable_files(corpus) == ["a.txt", "sub/b.md"]
    assert remove_file(corpus, "sub/b.md") == corpus / "sub" / "b.md"
    assert not (corpus / "sub" / "b.md").exists() and removable_files(corpus) == ["a.txt"]


@pytest.mark.parametrize("name", ["../outside.txt", "/etc/hostname", ".hidden.txt", "notes.xyz", "gone.txt", ""])
def test_a_name_the_corpus_does_not_list_is_refused_and_nothing_goes(tmp_path: Path, name: str) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.", ".hidden.txt": "Hidden.", "notes.xyz": "x"})
    (tmp_path / "outside.txt").write_text("Outside.")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    with pytest.raises(tilqa.UploadError, match="is not in the corpus"):
        remove_file(corpus, name)
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


def test_a_link_is_removed_but_not_what_it_points_to(tmp_path: Path) -> None:
    # A link inside the corpus folder (one leaving it is never listed: issue 31).
    corpus = write_corpus(tmp_path / "corpus", {"a.txt": "Alpha.", "kept.txt": "Kept."})
    target = corpus / "kept.txt"
    os.symlink(target, corpus / "link.txt")
    remove_file(corpus, "link.txt")
    assert not (corpus / "link.txt").exists() and target.read_text() == "Kept."
