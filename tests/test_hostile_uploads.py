"""Hostile uploads against a chat served in its own process (issue 31): archive bombs fail alone,
with a message, while the chat keeps answering and the server's memory (its peak resident size,
read from /proc) stays under 1 GB; what a crash leaves behind is removed at the next start."""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from pathlib import Path

import pytest

import tilqa
from tilqa.uploads import TEMP_PREFIX, add_file

from helpers import SHIPPED, HashEncoder, serve
from hostile import children, docx_bomb, memory_kb, server_process

GIGABYTE_KB = 1_000_000


def test_five_archive_bombs_at_once_fail_alone_while_the_chat_answers(tmp_path: Path) -> None:
    """The probe's five 100 MB bombs took the server from 3.8 to 11 GB; one 1.1 GB bomb to 13 GB."""
    from gradio_client import Client, handle_file

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    bombs = [docx_bomb(tmp_path / f"bomb{n}.docx", 100_000_000 * (1 + 10 * (n == 0))) for n in range(5)]
    with server_process(corpus, tmp_path / "index") as (url, server):
        client = Client(url, verbose=False)
        before = memory_kb(server.pid)
        jobs = [client.submit([handle_file(b)], api_name="/add") for b in bombs]
        answered, stop = [], threading.Event()

        def ask() -> None:
            asker = Client(url, verbose=False)
            while not stop.is_set():
                started = time.monotonic()
                answer = asker.predict("What is lifileucel designed for?", 3, api_name="/ask")
                answered.append((time.monotonic() - started, answer))

        thread = threading.Thread(target=ask)
        thread.start()
        results = [job.result(timeout=300) for job in jobs]
        stop.set()
        thread.join(60)
        peak = memory_kb(server.pid)
        workers = [memory_kb(pid) for pid in children(server.pid)]
    for result in results:
        assert result["added"] == [] and len(result["refused"]) == 1
        assert "an archive bomb?" in result["refused"][0]["reason"]
    assert not list(corpus.glob(".tilqa-upload-*")) and sorted(p.name for p in corpus.iterdir()) == [SHIPPED.name]
    assert answered and all("citations" in a for _, a in answered)
    assert peak < GIGABYTE_KB, f"server peak {peak} kB (it started at {before} kB)"
    assert all(w < 2 * GIGABYTE_KB for w in workers), workers


def test_debris_of_a_crash_is_removed_at_the_next_start(tmp_path: Path) -> None:
    """A cut-off upload's hidden file and a killed build's tmp folder stayed for good."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    cut_off = corpus / f"{TEMP_PREFIX}cut.docx"
    cut_off.write_bytes(b"half an upload")
    in_progress = corpus / f"{TEMP_PREFIX}busy.pdf"
    in_progress.write_bytes(b"an upload still being read")
    unfinished = tmp_path / "index" / "builds" / "tmp-20261208T000000-abcdef"
    unfinished.mkdir()
    (unfinished / "vectors.npy").write_bytes(b"\0" * 1000)
    handle = os.open(in_progress, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as add_file holds its file while reading it
        with serve(assistant):
            assert not cut_off.exists() and not unfinished.exists()
            assert in_progress.exists()
    finally:
        os.close(handle)


def test_an_upload_with_more_text_than_the_chat_indexes_is_refused_and_named(tmp_path: Path) -> None:
    """The probe's 49.9 MB text file (under the 50 MB limit) held a core for over 6 minutes and
    took the server to 2.8 GB; the chat now refuses text past `max_upload_chars`, saying so."""
    from gradio_client import Client, handle_file

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SHIPPED, corpus)
    settings = tilqa.Settings.load(corpus_dir=corpus, index_dir=tmp_path / "index", max_upload_chars=5_000)
    assistant = tilqa.Assistant(settings=settings, embedder=HashEncoder())
    long_text = tmp_path / "long.txt"
    long_text.write_text("The expansion runs for three weeks in a closed system. " * 200, encoding="utf-8")
    short_text = tmp_path / "short.txt"
    short_text.write_text("The Velmora unit freezes the product after expansion.\n", encoding="utf-8")
    with serve(assistant) as url:
        result = Client(url, verbose=False).predict([handle_file(long_text), handle_file(short_text)], api_name="/add")
    assert [a["source"] for a in result["added"]] == ["short.txt"]
    assert result["refused"] == [{
        "name": "long.txt",
        "reason": "long.txt holds 11,000 characters of text; the chat adds documents of up to 5,000 "
                  "(put a larger one in the corpus folder and run `tilqa build`)",
    }]
    assert sorted(p.name for p in corpus.iterdir()) == sorted([SHIPPED.name, "short.txt"])


def test_plain_text_too_long_for_the_chat_is_refused_before_it_is_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    data = tmp_path / "long.md"
    data.write_text("# Notes\n\n" + "The product is frozen. " * 1000, encoding="utf-8")
    with pytest.raises(tilqa.UploadError, match=r"long.md holds at least 5,752 characters of text; the chat adds documents of up to 5,000"):
        add_file(corpus, "long.md", data, 1_000_000, max_chars=5_000)
    assert list(corpus.iterdir()) == []
