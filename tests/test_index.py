"""Index build, load, manifest staleness, incremental rebuilds, damage and locking: plumbing,
embedded with HashEncoder (the real model's vectors are checked in test_encoders_torch.py)."""

import dataclasses
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import faiss
import numpy as np
import pytest

import tilqa
from tilqa import IndexCorruptError, IndexLockedError, Settings
from tilqa.index import BUILDS, build_lock, current_build, load_index
from tilqa.indexing import refresh_index

from helpers import SMALL_CORPUS, HashEncoder, document_text, write_corpus

ENCODER = HashEncoder()


@pytest.fixture()
def small(tmp_path: Path) -> Settings:
    write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    return Settings.load(
        environ={}, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", model=ENCODER.model_name
    )


def build(settings: Settings, **kwargs) -> tilqa.BuildReport:
    return refresh_index(settings, ENCODER, **kwargs)


def assistant_for(settings: Settings) -> tilqa.Assistant:
    return tilqa.Assistant(settings=settings, embedder=ENCODER)


def live(settings: Settings) -> Path:
    return settings.index_dir / BUILDS / str(current_build(settings.index_dir))


def test_build_writes_a_loadable_index_with_a_manifest(small: Settings) -> None:
    report = build(small)
    assert report.rebuilt and report.files == 2 and report.passages == 3
    data = load_index(small.index_dir)
    manifest = data.manifest
    assert manifest["model"] == ENCODER.model_name and manifest["dimension"] == ENCODER.dimension
    assert manifest["chunking"] == {"passage_sentences": 3, "passage_overlap": 1, "join_short_paragraphs": 1}
    assert manifest["tilqa_version"] == tilqa.__version__
    assert set(manifest["files"]) == {"trials.txt", "notes/partners.md"}
    assert data.passage_vectors.ntotal == len(data.passages) == 3
    assert manifest["token_vectors"] is True
    tokens = data.tokens
    assert tokens is not None and len(tokens.headings) == len(data.sentences)
    # Token rows: the sentences', then one for each heading a sentence sits under.
    heading_rows = set(range(len(data.sentences), len(tokens.spans)))
    assert set(tokens.headings.tolist()) == heading_rows and len(heading_rows) == 3
    for row, sentence in enumerate(data.sentences):  # each sentence's tokens, as the encoder gave them
        assert 0 < len(tokens.ids(row)) <= len(sentence.text.split()) * 4
        _, (expected,) = ENCODER.encode_with_tokens([sentence.text])
        assert tokens.ids(row).tolist() == expected.ids.tolist()
        assert np.array_equal(tokens.stored(row), expected.vectors)
    # Too few tokens to train a codebook: float16 vectors, in one segment.
    (segment,) = tokens.segments
    assert segment.values.dtype == "float16" and segment.values.shape == (len(segment.ids), ENCODER.dimension)
    for p in data.passages:
        assert document_text(small, p.source)[p.start : p.end] == p.text


def test_nothing_changed_means_nothing_rebuilt(small: Settings) -> None:
    build(small)
    first = current_build(small.index_dir)
    report = build(small)
    assert not report.rebuilt and report.embedded == 0
    assert current_build(small.index_dir) == first


def test_assistant_build_keeps_its_loaded_index_unless_the_build_changed(small: Settings) -> None:
    assistant = assistant_for(small)
    assistant.build()
    data = assistant.index
    assert not assistant.build().rebuilt
    assert assistant.index is data  # nothing changed: nothing reloaded
    (small.corpus_dir / "new.txt").write_text("A brand new finding about cytokines.", "utf-8")
    assert assistant.build().rebuilt
    assert assistant.index is not data
    assert assistant.index.build_id == current_build(small.index_dir) != data.build_id
    assert "cytokines" in assistant.ask("What finding about cytokines is new?").answer


@pytest.mark.parametrize("change", ["add", "edit", "remove"])
def test_a_corpus_change_rebuilds_and_says_why(small: Settings, change: str) -> None:
    build(small)
    corpus = small.corpus_dir
    if change == "add":
        (corpus / "new.txt").write_text("A brand new finding about cytokines.", "utf-8")
    elif change == "edit":
        (corpus / "trials.txt").write_text("Clinical Trials\nThe study was stopped early.\n", "utf-8")
    else:
        (corpus / "notes/partners.md").unlink()
    report = build(small)
    assert report.rebuilt
    expected = {"add": "added: new.txt", "edit": "changed: trials.txt", "remove": "removed: notes/partners.md"}
    assert expected[change] in report.reason
    sources = {p.source for p in load_index(small.index_dir).passages}
    assert ("new.txt" in sources) == (change == "add")
    assert ("notes/partners.md" in sources) == (change != "remove")


def test_a_new_assistant_answers_from_an_edit_of_the_same_size(small: Settings) -> None:
    """The check on opening trusts a file's size and modification time, not its size alone."""
    trials = small.corpus_dir / "trials.txt"
    an_hour_ago = trials.stat().st_mtime_ns - 3_600_000_000_000
    os.utime(trials, ns=(an_hour_ago, an_hour_ago))  # old enough to be stamped
    build(small)
    before = trials.stat()
    text = trials.read_text("utf-8")
    edited = text.replace("Phase 2", "Phase 9") if "Phase 2" in text else text.replace("a", "e", 1)
    assert len(edited.encode()) == before.st_size and edited != text
    trials.write_text(edited, "utf-8")
    os.utime(trials, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000_000))
    assert json.loads((live(small) / "manifest.json").read_text())["stamps"]["trials.txt"] == [before.st_size, an_hour_ago]
    old_build = current_build(small.index_dir)
    assistant = assistant_for(small)
    assistant.ask("What was the study?")
    assert assistant.index.build_id != old_build  # rebuilt before answering


def test_rebuild_embeds_only_changed_text(small: Settings) -> None:
    first = build(small)
    (small.corpus_dir / "new.txt").write_text("Findings\nTIL persistence improved. Toxicity was low.", "utf-8")
    second = build(small)
    # The new passage (with its heading), its two sentences, and its heading's tokens.
    assert second.embedded == 4
    assert second.reused == first.embedded
    before = load_index(small.index_dir)
    (small.corpus_dir / "new.txt").unlink()
    build(small)
    after = load_index(small.index_dir)

    def token_vectors(data, row: int) -> np.ndarray:
        return data.tokens.stored(row)

    # The kept sentences' token vectors were reused as stored, not embedded again.
    old = {s.text: token_vectors(before, i) for i, s in enumerate(before.sentences)}
    for i, s in enumerate(after.sentences):
        assert (token_vectors(after, i) == old[s.text]).all()


def test_switching_to_token_scoring_rebuilds_an_index_built_without_token_vectors(small: Settings) -> None:
    build(dataclasses.replace(small, sentence_scoring="hybrid"))
    assert load_index(small.index_dir).tokens is None
    report = build(small)
    assert report.rebuilt and "token vectors" in report.reason
    assert load_index(small.index_dir).tokens is not None


def test_another_model_or_chunking_setting_rebuilds(small: Settings) -> None:
    build(small)
    report = build(dataclasses.replace(small, passage_sentences=2))
    assert report.rebuilt and "chunking" in report.reason


@pytest.mark.parametrize(
    "damage",
    ["truncate_faiss", "delete_faiss", "vector_count_mismatch", "manifest_not_json", "count_mismatch", "dangling_current", "delete_tokens", "token_count_mismatch", "records_truncated", "document_damaged"],
)
def test_damaged_index_is_named_and_rebuilt(small: Settings, damage: str) -> None:
    build(small)
    folder = live(small)
    if damage == "truncate_faiss":
        data = (folder / "passages.faiss").read_bytes()
        (folder / "passages.faiss").write_bytes(data[: len(data) // 2])
        expected = "passages.faiss"
    elif damage == "delete_faiss":
        (folder / "sentence_vectors.npy").unlink()
        expected = "sentence_vectors.npy is missing"
    elif damage == "vector_count_mismatch":
        np.save(folder / "sentence_vectors.npy", np.load(folder / "sentence_vectors.npy")[:-1])
        expected = "sentence_vectors.npy holds"
    elif damage == "manifest_not_json":
        (folder / "manifest.json").write_text("{not json", "utf-8")
        expected = "manifest.json is not valid JSON"
    elif damage == "count_mismatch":
        index = faiss.read_index(str(folder / "passages.faiss"))
        index.remove_ids(faiss.IDSelectorRange(0, 1))
        faiss.write_index(index, str(folder / "passages.faiss"))
        expected = "passages.faiss holds 2 vectors for 3 records"
    elif damage == "delete_tokens":
        next((folder / "tokens").glob("*.values.npy")).unlink()
        expected = r"values\.npy is missing"
    elif damage == "token_count_mismatch":
        path = next((folder / "tokens").glob("*.ids.npy"))
        np.save(path, np.load(path)[:-1])
        expected = "rows for"
    elif damage == "records_truncated":
        np.save(folder / "passages.npy", np.load(folder / "passages.npy")[:-1])
        expected = "manifest counts 3 passages"
    elif damage == "document_damaged":
        text = (folder / "documents.jsonl").read_bytes()
        (folder / "documents.jsonl").write_bytes(text.replace(b'"text"', b'"txet"'))
        expected = "documents.jsonl has a damaged record"
    else:
        (small.index_dir / "CURRENT").write_text("no-such-build\n", "utf-8")
        expected = "^CURRENT names build 'no-such-build', which is missing$"
    with pytest.raises(IndexCorruptError, match=expected):
        load_index(small.index_dir)
    assistant = assistant_for(small)
    answer = assistant.ask("Who licensed the gene-editing technology?")
    assert "Cellectis" in answer.citations[0].text
    load_index(small.index_dir)  # repaired on disk too


def test_a_crashed_build_leaves_the_live_index_alone(small: Settings) -> None:
    build(small)
    before = current_build(small.index_dir)
    debris = small.index_dir / BUILDS / "tmp-crashed"
    debris.mkdir()
    (debris / "passages.faiss").write_bytes(b"half")
    assert load_index(small.index_dir).build_id == before
    build(small, force=True)
    assert not debris.exists()


def test_a_second_build_waits_for_the_lock_or_says_so(small: Settings) -> None:
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with build_lock(small.index_dir, timeout=5):
            holding.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(30), "the holding thread never took the lock"
    try:
        with pytest.raises(IndexLockedError, match="another process is still building"):
            build(small, lock_timeout=0.5)
    finally:
        release.set()
        thread.join()
    assert build(small).rebuilt  # free again


def test_manifest_is_plain_json(small: Settings) -> None:
    build(small)
    manifest = json.loads((live(small) / "manifest.json").read_text("utf-8"))
    assert manifest["passages"] == 3 and manifest["sentences"] == 6


def test_an_index_of_an_older_format_is_stale_not_damaged_and_rebuilt(small: Settings, caplog: pytest.LogCaptureFixture) -> None:
    build(small)
    manifest_path = live(small) / "manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8"))
    manifest_path.write_text(json.dumps({**manifest, "format": 4}), "utf-8")
    with pytest.raises(tilqa.IndexFormatError, match="format 4, this tilqa writes format 5"):
        load_index(small.index_dir)
    with caplog.at_level(logging.WARNING):
        report = build(small)
    assert report.rebuilt and report.reason == "index is in format 4, this tilqa writes format 5"
    assert not [r for r in caplog.records if "damaged" in r.getMessage()]
    assert load_index(small.index_dir).manifest["format"] == 5


def test_a_stale_start_opens_the_old_index_once(
    small: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    build(small)
    old = live(small)
    (small.corpus_dir / "dendritic.txt").write_text("Dendritic cells present antigens to T cells.", "utf-8")
    opened: list[Path] = []
    read_text = Path.read_text

    def counting(path: Path, *args, **kwargs) -> str:  # noqa: ANN002, ANN003
        if path.name in ("manifest.json", "sources.json"):
            opened.append(path)
        return read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    with caplog.at_level(logging.INFO, logger="tilqa"):
        answer = assistant_for(small).ask("Which cells present antigens to T cells?")
    assert answer.citations[0].source == "dendritic.txt"
    # The old build's manifest and document list are read once (to decide), the new build's once.
    assert sorted(p.name for p in opened if p.parent == old) == ["manifest.json", "sources.json"]
    assert sorted(p.name for p in opened if p.parent != old) == ["manifest.json", "sources.json"]
    assert "index needs a rebuild: corpus added: dendritic.txt" in caplog.messages
    assert "building index: corpus added: dendritic.txt" in caplog.messages


def test_answering_imports_neither_extraction_nor_chunking(small: Settings) -> None:
    build(small)
    tests = Path(__file__).parent
    code = f"""
import sys
sys.path.insert(0, {str(tests)!r})
import tilqa
from helpers import HashEncoder
settings = tilqa.Settings.load(environ={{}}, corpus_dir={str(small.corpus_dir)!r}, index_dir={str(small.index_dir)!r},
                               model=HashEncoder.model_name)
answer = tilqa.Assistant(settings=settings, embedder=HashEncoder()).ask("Who licensed the gene-editing technology?")
assert "Cellectis" in answer.citations[0].text, answer
print(",".join(m for m in ("tilqa.formats", "tilqa.chunking", "tilqa.indexing", "nltk") if m in sys.modules))
"""
    source = str(Path(tilqa.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


class CrashingEncoder(HashEncoder):
    """HashEncoder's name and vectors, but embedding anything new fails, as a crashed model would."""

    def encode_with_tokens(self, texts, show_progress=None):  # noqa: ANN001
        raise RuntimeError("the encoder crashed")

    def encode(self, texts, show_progress=None):  # noqa: ANN001
        raise RuntimeError("the encoder crashed")


def test_a_build_that_fails_keeps_the_old_index_live_and_answering(small: Settings) -> None:
    build(small)
    before = current_build(small.index_dir)
    builds = sorted(p.name for p in (small.index_dir / BUILDS).iterdir())
    (small.corpus_dir / "dendritic.txt").write_text("Dendritic cells present antigens to T cells.", "utf-8")
    with pytest.raises(RuntimeError, match="the encoder crashed"):
        refresh_index(small, CrashingEncoder())
    assert current_build(small.index_dir) == before
    data = load_index(small.index_dir)  # whole, and the old one
    assert set(data.documents) == {"trials.txt", "notes/partners.md"}
    assistant = tilqa.Assistant(settings=small, embedder=CrashingEncoder())
    with pytest.raises(RuntimeError, match="the encoder crashed"):  # stale: it tries to rebuild first
        assistant.ask("Which cells present antigens to T cells?")
    assert current_build(small.index_dir) == before
    # The failed builds' folders never went live; the next good build clears them away (the
    # build it replaces stays, for readers that still have it open).
    report = build(small)
    assert report.rebuilt and "dendritic.txt" in report.reason
    assert current_build(small.index_dir) not in builds
    assert sorted(p.name for p in (small.index_dir / BUILDS).iterdir()) == sorted([before, current_build(small.index_dir)])


# A build in another process, as `tilqa build` runs one, logging to a file (argv: tests folder,
# corpus, index, log file); it prints whether it rebuilt and how many texts it embedded.
BUILD_PROCESS = """
import json, logging, sys
sys.path.insert(0, sys.argv[1])
logging.basicConfig(filename=sys.argv[4], level=logging.WARNING, force=True)
import tilqa
from helpers import HashEncoder
settings = tilqa.Settings.load(environ={}, corpus_dir=sys.argv[2], index_dir=sys.argv[3], model=HashEncoder.model_name)
report = tilqa.Assistant(settings=settings, embedder=HashEncoder()).build()
print(json.dumps({"rebuilt": report.rebuilt, "embedded": report.embedded, "reason": report.reason}))
"""


def test_two_processes_building_at_once_build_once_and_the_waiter_finds_it_up_to_date(
    small: Settings, tmp_path: Path
) -> None:
    import time

    tests = str(Path(__file__).resolve().parent)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    with build_lock(small.index_dir, timeout=5):  # both start while a build holds the lock
        processes = [
            subprocess.Popen(
                [sys.executable, "-c", BUILD_PROCESS, tests, str(small.corpus_dir), str(small.index_dir), str(log)],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )
            for log in logs
        ]
        deadline = time.monotonic() + 120
        while not all(log.exists() and "waiting" in log.read_text("utf-8") for log in logs):
            assert time.monotonic() < deadline, [p.poll() for p in processes]
            assert all(p.poll() is None for p in processes), [p.communicate() for p in processes]
            time.sleep(0.1)
    results = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    built = [r for r in results if r["rebuilt"]]
    waited = [r for r in results if not r["rebuilt"]]
    assert len(built) == 1 and built[0]["embedded"] > 0, results
    assert len(waited) == 1 and waited[0]["embedded"] == 0, results
    assert set(load_index(small.index_dir).documents) == {"trials.txt", "notes/partners.md"}
    assert len(list((small.index_dir / BUILDS).iterdir())) == 1
