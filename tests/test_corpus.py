import logging
import os
import time
from pathlib import Path

import pytest

from tilqa import CorpusError
from tilqa.config import Settings
from tilqa.corpus import Stamp, file_hash, scan_corpus
from tilqa.index import manifest_for, stamps
from tilqa.indexing import load_corpus

from helpers import write_corpus


def test_reads_txt_and_md_recursively_sorted_with_posix_sources(tmp_path: Path) -> None:
    write_corpus(tmp_path, {"b.txt": "Bee.", "a/z.md": "Zed.", "a/skip.csv": "x", ".hidden/h.txt": "H.", "a/.h.txt": "H."})
    (tmp_path / "linked").symlink_to(tmp_path / "a", target_is_directory=True)  # a link to a folder is not followed
    documents, skipped = load_corpus(tmp_path)
    assert [d.source for d in documents] == ["a/z.md", "b.txt"]
    # A file of another type is skipped and said so; hidden files are not corpus files at all.
    assert [(s.source, "unsupported file type .csv" in s.reason) for s in skipped] == [("a/skip.csv", True)]


def test_unreadable_files_are_skipped_with_a_warning_naming_them(tmp_path: Path, caplog) -> None:
    write_corpus(tmp_path, {
        "good.txt": "A fine sentence.",
        "empty.txt": "  \n",
        "latin1.txt": "caf\xe9".encode("latin-1"),
        "image.txt": b"\x89PNG\r\n\x1a\n\x00\x00binary",
    })
    with caplog.at_level(logging.WARNING, logger="tilqa.indexing.reading"):
        documents, skipped = load_corpus(tmp_path)
    assert [d.source for d in documents] == ["good.txt"]
    reasons = {s.source: s.reason for s in skipped}
    assert reasons["empty.txt"] == "empty file"
    assert "UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["image.txt"]
    for name in reasons:
        assert name in caplog.text


def test_keeps_unicode_and_gives_read_text_offsets_for_crlf(tmp_path: Path) -> None:
    write_corpus(tmp_path, {"w.txt": b"Proleukin\xc2\xae \xe2\x80\x9cliving drugs\xe2\x80\x9d\r\nnext line.\r\n"})
    (document,), _ = load_corpus(tmp_path)
    assert document.text == (tmp_path / "w.txt").read_text("utf-8")
    assert "®" in document.text and "“" in document.text


@pytest.mark.parametrize(
    "files, message",
    [(None, "does not exist"), ({}, "no readable"), ({"x.txt": b"\x00\x01"}, r"\(1 file\(s\) skipped\)")],
)
def test_missing_or_unusable_corpus_is_a_clear_error(tmp_path: Path, files, message: str) -> None:
    folder = tmp_path / "corpus"
    if files is not None:
        write_corpus(folder, files)
    with pytest.raises(CorpusError, match=message):
        load_corpus(folder)


def test_a_file_matching_its_stamp_is_not_read_and_any_other_is(tmp_path: Path) -> None:
    write_corpus(tmp_path, {"same.txt": "Same.", "longer.txt": "Short.", "touched.txt": "Touched."})
    stat = {name: (tmp_path / name).stat() for name in ("same.txt", "longer.txt", "touched.txt")}
    stamped = {name: Stamp(size=s.st_size, mtime_ns=s.st_mtime_ns, sha256="stamped hash") for name, s in stat.items()}
    (tmp_path / "longer.txt").write_text("Not short now.", "utf-8")
    os.utime(tmp_path / "longer.txt", ns=(stat["longer.txt"].st_atime_ns, stat["longer.txt"].st_mtime_ns))
    os.utime(tmp_path / "touched.txt", ns=(stat["touched.txt"].st_atime_ns, stat["touched.txt"].st_mtime_ns + 1_000))
    files, _ = scan_corpus(tmp_path, stamped)
    hashes = {f.source: f.sha256 for f in files}
    assert hashes["same.txt"] == "stamped hash"  # trusted, not read
    assert hashes["longer.txt"] == file_hash(b"Not short now.")  # size differs: read
    assert hashes["touched.txt"] == file_hash(b"Touched.")  # modification time differs: read


def test_a_build_stamps_only_files_older_than_its_scan_by_a_clock_step(tmp_path: Path) -> None:
    write_corpus(tmp_path, {"old.txt": "Old.", "new.txt": "New."})
    now = time.time_ns()
    os.utime(tmp_path / "old.txt", ns=(now, now - 60_000_000_000))
    files, _ = scan_corpus(tmp_path)
    manifest = manifest_for(Settings(corpus_dir=tmp_path), {f.source: f.sha256 for f in files}, {}, 384, {}, files, now)
    assert set(manifest["stamps"]) == {"old.txt"}  # new.txt may change again within the same clock step
    assert stamps(manifest) == {"old.txt": Stamp(size=4, mtime_ns=now - 60_000_000_000, sha256=file_hash(b"Old."))}


@pytest.mark.parametrize("damaged", [{"stamps": [1, 2]}, {"stamps": {"old.txt": "x"}}, {"stamps": {"old.txt": [1]}}])
def test_stamps_a_manifest_holds_badly_are_none(damaged: dict) -> None:
    assert stamps({"files": {"old.txt": "abc"}, **damaged}) == {}


def test_links_are_followed_only_inside_the_corpus_folder(tmp_path: Path) -> None:
    """A link to /etc/passwd in the corpus was read and its text served (issue 31)."""
    corpus = write_corpus(tmp_path / "corpus", {"trials.txt": "The Phase 2 study enrolled patients.\n"})
    outside = write_corpus(tmp_path / "elsewhere", {"secret.txt": "A private note outside the corpus.\n"})
    (corpus / "same-trials.txt").symlink_to(corpus / "trials.txt")
    (corpus / "secret.txt").symlink_to(outside / "secret.txt")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "broken.txt").symlink_to(tmp_path / "nothing.txt")
    files, skipped = scan_corpus(corpus)
    assert [f.source for f in files] == ["same-trials.txt", "trials.txt"]
    assert {s.source: s.reason for s in skipped} == {
        "passwd.txt": "a link to a file outside the corpus folder (not read)",
        "secret.txt": "a link to a file outside the corpus folder (not read)",
    }
    documents, _ = load_corpus(corpus)
    assert all("private note" not in d.text and "root:" not in d.text for d in documents)
