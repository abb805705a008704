"""Adding files to the corpus: `tilqa.uploads.add_file` on real files, when the chat allows
uploads, and uploading through a running chat server then asking about the file."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Iterator

import pytest

import tilqa
from tilqa import UploadError
import tilqa.uploads
from tilqa.uploads import MAX_STEM_CHARS, add_file, is_loopback, safe_name, uploads_allowed

from helpers import FACT, QUESTION, SHIPPED, HashEncoder, pdf_page_of, real_assistant_on, serve

MB = 1_000_000


def listing(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, hidden ones included, with its content."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    shutil.copy(SHIPPED, folder)
    return folder


def upload(tmp_path: Path, name: str, content: str | bytes) -> Path:
    """A file as the web server holds an upload: in its own folder, outside the corpus."""
    path = tmp_path / "uploaded" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


# -- add_file ----------------------------------------------------------------------------------


def test_a_path_in_the_name_is_dropped_so_the_file_lands_inside_the_corpus(corpus: Path, tmp_path: Path) -> None:
    data = upload(tmp_path, "x.txt", "Escape attempt. This text is harmless.\n")
    saved = add_file(corpus, "../../etc/x.txt", data, MB)
    assert saved == corpus / "x.txt" and saved.read_bytes() == data.read_bytes()
    assert not (tmp_path / "etc").exists()
    assert add_file(corpus, "..\\..\\windows\\y.md", upload(tmp_path, "y.md", "# Y\n\nAnother file.\n"), MB) == corpus / "y.md"


def test_unsafe_names_become_readable_visible_names() -> None:
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("re\x00po\nrt\u202e.pdf") == "report.pdf"
    assert safe_name("Q3 results (final) v2.docx") == "Q3 results _final_ v2.docx"
    assert safe_name("Übersicht.md") == "Übersicht.md"
    assert safe_name("..") == "" and safe_name("/") == ""


def test_a_taken_name_gets_a_number_and_no_file_is_overwritten(corpus: Path, tmp_path: Path) -> None:
    first = add_file(corpus, "report.md", upload(tmp_path, "a/report.md", "# One\n\nThe first report.\n"), MB)
    second = add_file(corpus, "report.md", upload(tmp_path, "b/report.md", "# Two\n\nThe second report.\n"), MB)
    third = add_file(corpus, "report.md", upload(tmp_path, "c/report.md", "# Three\n\nThe third report.\n"), MB)
    assert [p.name for p in (first, second, third)] == ["report.md", "report-2.md", "report-3.md"]
    assert first.read_text() == "# One\n\nThe first report.\n"
    assert third.read_text() == "# Three\n\nThe third report.\n"


def test_uploads_of_one_name_at_the_same_moment_each_get_their_own_file(corpus: Path, tmp_path: Path) -> None:
    files = [upload(tmp_path, f"{n}/notes.txt", f"Notes number {n}. Each one differs.\n") for n in range(8)]
    saved: list[Path] = []
    start = threading.Barrier(len(files))

    def add(data: Path) -> None:
        start.wait()
        saved.append(add_file(corpus, "notes.txt", data, MB))

    threads = [threading.Thread(target=add, args=(f,)) for f in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(p.name for p in saved) == sorted(["notes.txt"] + [f"notes-{n}.txt" for n in range(2, 9)])
    assert sorted(p.read_text() for p in saved) == sorted(f.read_text() for f in files)
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_file_over_the_limit_is_refused_with_its_size_and_the_limit(corpus: Path, tmp_path: Path) -> None:
    before = listing(corpus)
    data = upload(tmp_path, "big.txt", "x" * 61_200_000)
    with pytest.raises(UploadError, match=r"^big\.txt is 61\.2 MB; the limit is 50 MB$"):
        add_file(corpus, "big.txt", data, 50 * MB)
    assert listing(corpus) == before


def test_an_unsupported_type_is_refused_naming_the_types_tilqa_reads(corpus: Path, tmp_path: Path) -> None:
    before = listing(corpus)
    with pytest.raises(UploadError, match=r"notes\.xyz: tilqa cannot read \.xyz files; it reads .*\.docx.*\.pdf.*\.txt"):
        add_file(corpus, "notes.xyz", upload(tmp_path, "notes.xyz", "text"), MB)
    with pytest.raises(UploadError, match="without a type suffix"):
        add_file(corpus, "README", upload(tmp_path, "README", "text"), MB)
    assert listing(corpus) == before


def test_an_empty_file_is_refused(corpus: Path, tmp_path: Path) -> None:
    before = listing(corpus)
    with pytest.raises(UploadError, match=r"^empty\.txt cannot be read: \w"):
        add_file(corpus, "empty.txt", upload(tmp_path, "empty.txt", "  \n"), MB)
    assert listing(corpus) == before


def test_a_file_already_in_the_corpus_is_refused(corpus: Path, tmp_path: Path) -> None:
    before = listing(corpus)
    with pytest.raises(UploadError, match="already in the corpus, as iovance-rd-focus.txt"):
        add_file(corpus, "copy.txt", SHIPPED, 10 * MB)
    assert listing(corpus) == before


def test_real_pdf_and_docx_files_are_added(corpus: Path, rendered: dict[str, Path]) -> None:
    pdf = add_file(corpus, "zephyr-brief.pdf", rendered["pdf"], 10 * MB)
    docx = add_file(corpus, "zephyr-brief.docx", rendered["docx"], 10 * MB)
    assert pdf.read_bytes() == rendered["pdf"].read_bytes() and docx.read_bytes() == rendered["docx"].read_bytes()
    assert sorted(p.name for p in corpus.iterdir()) == ["iovance-rd-focus.txt", "zephyr-brief.docx", "zephyr-brief.pdf"]


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("encrypted", "password"), ("corrupt", "")],  # a scan is read by OCR (tests/test_ocr.py)
)
def test_a_pdf_tilqa_cannot_read_is_refused_and_the_corpus_is_unchanged(
    corpus: Path, rendered: dict[str, Path], kind: str, reason: str
) -> None:
    before = listing(corpus)
    with pytest.raises(UploadError, match=rf"^report\.pdf cannot be read: .*{reason}") as refused:
        add_file(corpus, "report.pdf", rendered[kind], 10 * MB)
    assert len(str(refused.value)) > len("report.pdf cannot be read: ")
    assert listing(corpus) == before


def test_a_long_name_is_cut_keeping_its_type(corpus: Path, tmp_path: Path) -> None:
    saved = add_file(corpus, "r" * 300 + ".md", upload(tmp_path, "long.md", "# Long\n\nA file with a long name.\n"), MB)
    assert saved == corpus / ("r" * MAX_STEM_CHARS + ".md")
    assert safe_name("a" * 300) == "a" * MAX_STEM_CHARS
    assert safe_name("b" * MAX_STEM_CHARS + ".txt") == "b" * MAX_STEM_CHARS + ".txt"  # at the limit: kept
    assert safe_name("c" * MAX_STEM_CHARS + "... .pdf") == "c" * MAX_STEM_CHARS + ".pdf"  # cut, then trimmed


def test_when_every_numbered_name_is_taken_the_upload_is_refused(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tilqa.uploads, "MAX_NAME_TRIES", 3)
    for n in (1, 2, 3):
        add_file(corpus, "report.md", upload(tmp_path, f"{n}/report.md", f"# Report {n}\n\nVersion {n}.\n"), MB)
    before = listing(corpus)
    with pytest.raises(UploadError, match=r"^report\.md: too many files with this name already; rename it first$"):
        add_file(corpus, "report.md", upload(tmp_path, "4/report.md", "# Report 4\n\nVersion 4.\n"), MB)
    assert listing(corpus) == before  # nothing overwritten, no temporary file left


def test_without_hard_links_names_are_reserved_and_never_overwritten(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file system without hard links (some network and FAT mounts): the name is created
    exclusively, then the file moved onto it."""
    import errno
    import os

    def no_links(source: object, target: object) -> None:
        raise OSError(errno.EPERM, "hard links are not supported here")

    monkeypatch.setattr(os, "link", no_links)
    first = add_file(corpus, "notes.md", upload(tmp_path, "a/notes.md", "# A\n\nThe first notes.\n"), MB)
    second = add_file(corpus, "notes.md", upload(tmp_path, "b/notes.md", "# B\n\nThe second notes.\n"), MB)
    assert (first.name, second.name) == ("notes.md", "notes-2.md")
    assert (first.read_text(), second.read_text()) == ("# A\n\nThe first notes.\n", "# B\n\nThe second notes.\n")
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]


def test_an_added_file_is_readable_by_all_whatever_the_temporary_files_mode(corpus: Path, tmp_path: Path) -> None:
    import os
    import stat

    old_umask = os.umask(0o077)  # as a locked-down server might run
    try:
        saved = add_file(corpus, "open.md", upload(tmp_path, "open.md", "# Open\n\nReadable by all.\n"), MB)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(saved.stat().st_mode) == 0o644


def test_a_missing_corpus_folder_is_refused_and_not_created(tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    with pytest.raises(UploadError, match="^the corpus folder is missing, so no file can be added$"):
        add_file(gone, "a.md", upload(tmp_path, "a.md", "# A\n\nText.\n"), MB)
    assert not gone.exists()


# -- when the chat takes uploads ---------------------------------------------------------------


def test_uploads_are_on_for_loopback_hosts_and_need_a_login_elsewhere() -> None:
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert is_loopback(host) and uploads_allowed("auto", host, login=False), host
    for host in ("0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.com", ""):
        assert not uploads_allowed("auto", host, login=False), host
        assert uploads_allowed("auto", host, login=True), host
    assert not uploads_allowed("off", "127.0.0.1", login=False)
    assert not uploads_allowed("off", "0.0.0.0", login=True)


# -- through the server ------------------------------------------------------------------------


def hash_assistant_on(folder: Path, **settings: object) -> tilqa.Assistant:
    """An assistant on a copy of the shipped corpus in `folder`, embedding with HashEncoder."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(SHIPPED, corpus)
    return tilqa.Assistant(
        settings=tilqa.Settings.load(environ={}, corpus_dir=corpus, index_dir=folder / "index", **settings),
        embedder=HashEncoder(),
    )


@pytest.fixture(scope="module")
def hash_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, tilqa.Assistant]]:
    assistant = hash_assistant_on(tmp_path_factory.mktemp("hash-server"), max_upload_mb=1)
    with serve(assistant) as url:
        yield url, assistant


def test_upload_api_adds_a_pdf_with_its_pages_and_refuses_bad_files(
    hash_server: tuple[str, tilqa.Assistant], rendered: dict[str, Path], tmp_path: Path
) -> None:
    from gradio_client import Client, handle_file

    url, assistant = hash_server
    corpus = assistant.settings.corpus_dir
    unsupported = upload(tmp_path, "notes.xyz", "not a document")
    result = Client(url, verbose=False).predict(
        [handle_file(rendered["pdf"]), handle_file(rendered["encrypted"]), handle_file(unsupported)],
        api_name="/add",
    )
    _, page_count = pdf_page_of(rendered["pdf"], FACT)
    passages = sum(1 for p in assistant.index.passages if p.source == "zephyr-brief.pdf")
    assert result["added"] == [
        {"name": "zephyr-brief.pdf", "source": "zephyr-brief.pdf", "pages": page_count, "passages": passages,
         "problem": None}
    ]
    assert passages > 0 and page_count >= 2
    assert [r["name"] for r in result["refused"]] == ["encrypted.pdf", "notes.xyz"]
    assert "encrypted.pdf cannot be read" in result["refused"][0]["reason"]
    assert "tilqa cannot read .xyz files" in result["refused"][1]["reason"]
    assert sorted(p.name for p in corpus.iterdir() if not p.name.startswith(".")) == [
        "iovance-rd-focus.txt", "zephyr-brief.pdf"
    ]


def test_a_file_over_the_servers_limit_is_refused(hash_server: tuple[str, tilqa.Assistant], tmp_path: Path) -> None:
    """max_upload_mb is 1 here: the page's config tells clients the limit, so gradio_client
    refuses before sending, and the server refuses a file sent anyway, saying why; tilqa never
    sees it. (The body limits of the upload path: test_web_guards.py.)"""
    import httpx
    from gradio_client import Client, handle_file

    url, assistant = hash_server
    before = listing(assistant.settings.corpus_dir)
    big = upload(tmp_path, "big.txt", "word " * 300_000)
    with pytest.raises(ValueError, match=r"big\.txt exceeds the maximum file size of 1000000 bytes"):
        Client(url, verbose=False).predict([handle_file(big)], api_name="/add")
    sent = httpx.post(url + "gradio_api/upload", files={"files": ("big.txt", big.read_bytes())}, timeout=30)
    assert (sent.status_code, sent.text) == (413, "File size exceeded maximum allowed size of 1000000 bytes.")
    assert listing(assistant.settings.corpus_dir) == before


def test_uploads_off_means_no_upload_control_and_no_add_endpoint(tmp_path: Path) -> None:
    import httpx
    from gradio_client import Client

    assistant = hash_assistant_on(tmp_path, uploads="off")
    with serve(assistant) as url:
        config = httpx.get(url + "config", timeout=30).json()
        assert not [c for c in config["components"] if c.get("type") in ("uploadbutton", "file")]
        client = Client(url, verbose=False)
        assert "/add" not in client.view_api(print_info=False, return_format="dict")["named_endpoints"]
        with pytest.raises(ValueError, match="^Cannot find a function with `api_name`: /add.$"):
            client.predict([], api_name="/add")
        # Nor does the server take it when called by its path.
        called = httpx.post(url + "gradio_api/call/add", json={"data": [[]]}, timeout=30)
        assert called.status_code >= 400 and "event_id" not in called.text, (called.status_code, called.text)


@pytest.mark.model
def test_uploaded_pdf_answers_a_question_citing_its_page(
    tmp_path: Path, rendered: dict[str, Path], assistant: tilqa.Assistant
) -> None:
    from gradio_client import Client, handle_file

    own = real_assistant_on(tmp_path, assistant)
    with serve(own) as url:
        client = Client(url, verbose=False)
        assert client.predict(QUESTION, 3, api_name="/ask")["found"] is False
        added = client.predict([handle_file(rendered["pdf"])], api_name="/add")["added"]
        assert [a["source"] for a in added] == ["zephyr-brief.pdf"] and added[0]["problem"] is None
        result = client.predict(QUESTION, 3, api_name="/ask")
    page, _ = pdf_page_of(rendered["pdf"], FACT)
    assert page > 1
    assert result["found"] and "Castellan Instruments" in result["answer"]
    first = result["citations"][0]
    assert first["source"] == "zephyr-brief.pdf" and first["page"] == page
    assert own.document_text("zephyr-brief.pdf")[first["start"]:first["end"]] == first["text"]


def test_questions_are_answered_while_uploads_are_indexed_one_build_at_a_time(tmp_path: Path) -> None:
    """/add waits for its build; meanwhile /ask answers from the old index, and a second upload
    waits for the first build to end rather than building beside it."""
    from gradio_client import Client, handle_file

    assistant = hash_assistant_on(tmp_path)
    real_build = assistant.build
    release, started = threading.Event(), threading.Semaphore(0)
    active, most = [0], [0]
    lock = threading.Lock()

    def held_build(*args: object, **kwargs: object):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        started.release()
        try:
            release.wait()  # until the test releases it (always, in its finally): no time window
            return real_build(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    with serve(assistant) as url:
        try:
            assistant.build = held_build  # launch has built already; from here on builds are held
            client = Client(url, verbose=False)
            first = client.submit([handle_file(upload(tmp_path, "one.md", "# One\n\nThe Velmora unit is green.\n"))], api_name="/add")
            assert started.acquire(timeout=30)
            second = client.submit([handle_file(upload(tmp_path, "two.md", "# Two\n\nThe Castellan unit is blue.\n"))], api_name="/add")
            answer = client.predict("What is lifileucel designed for?", 1, api_name="/ask")
            assert answer["citations"][0]["source"] == "iovance-rd-focus.txt"
            assert not first.done() and not second.done()
            assert set(assistant.index.documents) == {"iovance-rd-focus.txt"}
            release.set()
            assert first.result(timeout=60)["added"][0]["source"] == "one.md"
            assert second.result(timeout=60)["added"][0]["source"] == "two.md"
        finally:
            release.set()  # never leave a build held, even when an assertion failed
    assert most[0] == 1
    assert {"one.md", "two.md"} <= set(assistant.index.documents)


def test_upload_messages_give_pages_for_pdfs_only_and_say_when_a_file_was_renamed() -> None:
    from tilqa.web import Indexed

    assert Indexed(name="report.pdf", source="report.pdf", pages=12, passages=140).message == (
        "added report.pdf: 12 pages, 140 passages; you can ask about it now"
    )
    assert Indexed(name="notes.md", source="notes-2.md", pages=None, passages=1).message == (
        "added notes-2.md: 1 passage (uploaded as notes.md); you can ask about it now"
    )
    assert Indexed(name="a.pdf", source="a.pdf", problem="no text found").message == (
        "a.pdf was saved but is not searchable: no text found"
    )
