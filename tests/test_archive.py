"""Zip-based formats checked before parsing (`tilqa.formats.archive`): archive bombs are refused
from the zip's directory alone, ordinary Word files pass."""

from __future__ import annotations

import resource
import time
import zipfile
from pathlib import Path

import pytest

from tilqa.formats import ExtractionError, extract
from tilqa.formats.archive import MAX_ENTRIES, MAX_RATIO, check_archive

from hostile import docx_bomb, docx_of_many_paragraphs


def test_a_docx_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    bomb = docx_bomb(tmp_path / "bomb.docx", 200_000_000)
    assert bomb.stat().st_size < 1_000_000  # 200 MB of paragraphs in a few hundred kB
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    with pytest.raises(ExtractionError, match=rf"an archive bomb\? word/document.xml inside the DOCX inflates .*; the limit is {MAX_RATIO} times"):
        extract(bomb)
    assert time.monotonic() - started < 2  # read from the directory, nothing inflated
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before < 50_000  # kB


def test_too_many_parts_are_refused(tmp_path: Path) -> None:
    crowded = tmp_path / "crowded.docx"
    with zipfile.ZipFile(crowded, "w") as archive:
        for n in range(MAX_ENTRIES + 1):
            archive.writestr(f"part{n}.xml", b"")
    with pytest.raises(ExtractionError, match=f"has {MAX_ENTRIES + 1:,} parts; the limit is {MAX_ENTRIES:,}"):
        check_archive(crowded)


def test_ordinary_word_xml_passes_the_check_and_is_read(tmp_path: Path) -> None:
    # 1,500 paragraphs of 100 words: about 1.2 MB of XML, compressed as Word's XML usually is.
    document = docx_of_many_paragraphs(tmp_path / "long.docx", 1_500, words=100)
    with zipfile.ZipFile(document) as archive:
        xml = archive.getinfo("word/document.xml")
    assert xml.file_size > 1_000_000 and xml.file_size < MAX_RATIO * xml.compress_size
    check_archive(document)
    text = extract(document).text
    assert text.startswith("A real paragraph before the filler.") and "Paragraph 1499 of the filler" in text


def test_a_file_that_is_not_a_zip_says_so(tmp_path: Path) -> None:
    fake = tmp_path / "fake.docx"
    fake.write_bytes(b"plain text renamed .docx")
    with pytest.raises(ExtractionError, match="unreadable DOCX"):
        extract(fake)
