"""The index on disk: the live-build pointer, the build lock, loading a build with validation,
and making a written build live so that readers only ever see a whole one.

Layout: see docs/index-format.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import mmap
import os
import secrets
import shutil
import time
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from ..errors import IndexCorruptError, IndexFormatError, IndexLockedError
from ..lexical import LexicalIndex
from ..token_codec import TokenCodec
from ..token_scoring import TOKEN_SPAN, SentenceTokens, TokenSegment
from . import files as f
from .manifest import FORMAT
from .records import PASSAGE_FIELDS, SENTENCE_FIELDS, DocumentStore, IndexData, PassageTable, SentenceTable
from .vectors import VectorIndexInfo, VectorSearch, read_vector_index

log = logging.getLogger(__name__)

CURRENT = "CURRENT"
BUILDS = "builds"
LOCK = ".build.lock"


# ---------------------------------------------------------------------------------------------
# The live build and the lock


def current_build(index_dir: Path) -> str | None:
    """The name of the live build, or None when there is no index."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def live_build_dir(index_dir: Path) -> Path | None:
    """The folder of the live build, or None when there is no index."""
    build_id = current_build(index_dir)
    return None if build_id is None else index_dir / BUILDS / build_id


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's build lock; wait up to `timeout` seconds for another build to finish.

    :raises IndexLockedError: when another process still holds it after `timeout` seconds.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as handle:
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not waited:
                    log.warning("another process is building the index in %s; waiting", index_dir)
                    waited = True
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is still building the index in {index_dir} "
                        f"after {timeout:.0f} s; try again when it has finished"
                    ) from None
                time.sleep(0.2)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# ---------------------------------------------------------------------------------------------
# Loading


def load_index(index_dir: Path) -> IndexData:
    """Open and check the live index. The small arrays are read; records' text, documents,
    vectors and token vectors are memory-mapped and read when a question needs them.

    :raises FileNotFoundError: when there is no index yet.
    :raises IndexCorruptError: naming what is wrong with a damaged or inconsistent index.
    :raises IndexFormatError: when another tilqa wrote it in another format (it is stale).
    """
    build_id = current_build(index_dir)
    if build_id is None:
        raise FileNotFoundError(f"no index in {index_dir}")
    build = index_dir / BUILDS / build_id
    if not build.is_dir():
        raise IndexCorruptError(f"{CURRENT} names build {build_id!r}, which is missing")
    manifest = read_manifest(build)
    if manifest.get("format") != FORMAT:  # stale, not damaged: its files are another layout
        raise IndexFormatError(f"index is in format {manifest.get('format')}, this tilqa writes format {FORMAT}")
    documents = _read_documents(build)
    passages, sentences = _read_records(build, manifest, documents)
    dimension = manifest.get("dimension")
    searches = _vector_index_infos(manifest)
    passage_vectors = _load_array(build, f.PASSAGE_VECTORS, mmap=True, rows=len(passages), dimension=dimension)
    sentence_vectors = _load_array(build, f.SENTENCE_VECTORS, mmap=True, rows=len(sentences), dimension=dimension)
    passage_search = _read_faiss(build / f.PASSAGE_SEARCH, passage_vectors, searches["passages"], dimension)
    sentence_search = (
        _read_faiss(build / f.SENTENCE_SEARCH, sentence_vectors, searches["sentences"], dimension)
        if searches["sentences"].kind != "flat" else None
    )
    return IndexData(  # the remaining files are checked in this order
        build_id=build_id, manifest=manifest, passages=passages, sentences=sentences,
        passage_vectors=passage_search, sentence_vectors=sentence_vectors,
        tokens=read_tokens(build, manifest, len(sentences)) if manifest.get("token_vectors") else None,
        documents=documents,
        passage_lexical=_read_lexical(build / f.PASSAGE_LEXICAL, len(passages)),
        sentence_lexical=_read_lexical(build / f.SENTENCE_LEXICAL, len(sentences)),
        antecedents=_load_array(build, f.ANTECEDENTS, mmap=True, rows=len(sentences)),
        typicality=_load_array(build, f.TYPICALITY, mmap=True, rows=len(sentences)),
        sentence_search=sentence_search,
    )


def _read_records(build: Path, manifest: dict[str, Any], documents: DocumentStore) -> tuple[PassageTable, SentenceTable]:
    """The passage and sentence tables, checked against the manifest, each other and the documents."""
    sections = _read_json_list(build / f.SECTIONS)
    passages = _load_array(build, f.PASSAGES, mmap=True)
    sentences = _load_array(build, f.SENTENCES, mmap=True)
    if passages.dtype != PASSAGE_FIELDS or sentences.dtype != SENTENCE_FIELDS:
        raise IndexCorruptError(f"{f.PASSAGES} or {f.SENTENCES} holds records of another layout")
    if manifest.get("passages") != len(passages) or manifest.get("sentences") != len(sentences):
        raise IndexCorruptError(
            f"manifest counts {manifest.get('passages')} passages and {manifest.get('sentences')} sentences, "
            f"the records {len(passages)} and {len(sentences)}"
        )
    offsets = _load_array(build, f.PASSAGE_SENTENCE_OFFSETS)
    members = _load_array(build, f.PASSAGE_SENTENCES, mmap=True)
    if len(offsets) != len(passages) + 1 or (len(offsets) and offsets[-1] != len(members)):
        raise IndexCorruptError(f"{f.PASSAGE_SENTENCE_OFFSETS} does not describe {len(passages)} passages")
    if len(members) and (int(members.min()) < 0 or int(members.max()) >= len(sentences)):
        raise IndexCorruptError(f"{f.PASSAGE_SENTENCES} refers to sentences the index does not hold")
    _check_refs(passages, sentences, len(documents), len(sections))
    _check_documents(documents, passages, sentences)
    return PassageTable(passages, documents, sections, offsets, members), SentenceTable(sentences, documents, sections)


def _check_refs(passages: np.ndarray, sentences: np.ndarray, documents: int, sections: int) -> None:
    for name, rows in ((f.PASSAGES, passages), (f.SENTENCES, sentences)):
        if not len(rows):
            continue
        if int(rows["source"].min()) < 0 or int(rows["source"].max()) >= documents:
            raise IndexCorruptError(f"documents.jsonl lacks the text of a document that {name} cites")
        if int(rows["section"].min()) < 0 or int(rows["section"].max()) >= sections:
            raise IndexCorruptError(f"{name} refers to headings {f.SECTIONS} does not hold")
        if bool(np.any(rows["start"] > rows["end"])) or int(rows["start"].min()) < 0:
            raise IndexCorruptError(f"{name} holds a record that ends before it starts")


def _check_documents(documents: DocumentStore, passages: np.ndarray, sentences: np.ndarray) -> None:
    """Every document line parses, and every record's span lies within its document's text (one
    pass over documents.jsonl; nothing is kept)."""
    lengths = np.array([len(documents.read(n).text) for n in range(len(documents))], dtype=np.int64)
    for name, rows in ((f.PASSAGES, passages), (f.SENTENCES, sentences)):
        if len(rows) and bool(np.any(rows["end"] > lengths[rows["source"]])):
            raise IndexCorruptError(f"{name} holds a record past the end of its document's text")


def _vector_index_infos(manifest: dict[str, Any]) -> dict[str, VectorIndexInfo]:
    described = manifest.get("vector_index")
    try:
        return {name: VectorIndexInfo.from_dict(described[name]) for name in ("passages", "sentences")}  # type: ignore[index]
    except (TypeError, KeyError, ValueError) as exc:
        raise IndexCorruptError(f"manifest.json does not describe its vector indexes ({exc})") from None


def read_manifest(build: Path) -> dict[str, Any]:
    """The manifest of the build in folder `build`.

    :raises IndexCorruptError: when it is missing or not a JSON object.
    """
    return _read_json(build / f.MANIFEST)


def _load_array(
    build: Path, name: str, mmap: bool = False, rows: int | None = None, dimension: int | None = None
) -> np.ndarray:
    """An array of the build, checked to hold `rows` rows (of `dimension` values) when given."""
    try:
        array = np.load(build / name, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise IndexCorruptError(f"{name} is missing") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{name} cannot be read ({exc})") from None
    if rows is not None and len(array) != rows:
        raise IndexCorruptError(f"{name} holds {len(array)} rows for {rows} records")
    if dimension is not None and (array.ndim != 2 or array.shape[1] != dimension):
        raise IndexCorruptError(f"{name} has shape {array.shape}, manifest says dimension {dimension}")
    return array


def read_tokens(build: Path, manifest: dict[str, Any], sentences: int) -> SentenceTokens:
    """The sentences' token rows; the segments are memory-mapped, read as they are used."""
    spans = _load_array(build, f.TOKEN_SPANS)
    headings = _load_array(build, f.TOKEN_HEADINGS, rows=sentences)
    idf = _load_array(build, f.TOKEN_IDF)
    described = manifest.get("token_segments")
    if not isinstance(described, list) or not all(isinstance(s, dict) and "name" in s for s in described):
        raise IndexCorruptError("manifest.json does not list its token segments")
    codec = TokenCodec(_load_array(build, f.TOKEN_CODEBOOK)) if (build / f.TOKEN_CODEBOOK).exists() else None
    segments = []
    for segment in described:
        ids_path, values_path = f.segment_files(build, segment["name"])
        ids = _load_array(build, str(ids_path.relative_to(build)), mmap=True)
        values = _load_array(build, str(values_path.relative_to(build)), mmap=True, rows=len(ids))
        coded = values.dtype == np.uint8
        if coded and (codec is None or values.ndim != 2 or values.shape[1] != codec.pieces):
            raise IndexCorruptError(f"token segment {segment['name']} and {f.TOKEN_CODEBOOK} disagree")
        segments.append(TokenSegment(ids, values))
    if spans.dtype != TOKEN_SPAN or len(spans) < sentences:
        raise IndexCorruptError(f"{f.TOKEN_SPANS} does not describe {sentences} sentences")
    if len(spans):
        if int(spans["segment"].min()) < 0 or int(spans["segment"].max()) >= len(segments):
            raise IndexCorruptError(f"{f.TOKEN_SPANS} names a token segment the manifest does not list")
        lengths = np.array([len(s.ids) for s in segments])
        if np.any(spans["start"] > spans["end"]) or np.any(spans["end"] > lengths[spans["segment"]]):
            raise IndexCorruptError(f"token files disagree: {f.TOKEN_SPANS} points past the end of a segment")
    rows = len(spans)
    if np.any((headings != -1) & ((headings < sentences) | (headings >= rows))):
        raise IndexCorruptError(f"{f.TOKEN_HEADINGS} does not name a heading row for each of {sentences} sentences")
    return SentenceTokens(spans, tuple(segments), headings, idf, codec)


def _read_json(path: Path) -> dict[str, Any]:
    value = _parse_json(path)
    if not isinstance(value, dict):
        raise IndexCorruptError(f"{path.name} is not a JSON object")
    return value


def _read_json_list(path: Path) -> list[str]:
    value = _parse_json(path)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise IndexCorruptError(f"{path.name} is not a JSON list of strings")
    return value


def _parse_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{path.name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} is not valid JSON ({exc})") from None


def _read_faiss(path: Path, vectors: np.ndarray, info: VectorIndexInfo, dimension: Any) -> VectorSearch:
    rows = len(vectors)
    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    try:
        index = read_vector_index(path, vectors, info)
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path.name} cannot be read ({str(exc).splitlines()[0]})") from None
    if index.ntotal != rows:
        raise IndexCorruptError(f"{path.name} holds {index.ntotal} vectors for {rows} records")
    if index.d != dimension:
        raise IndexCorruptError(f"{path.name} has dimension {index.d}, manifest says {dimension}")
    return index


def _read_lexical(folder: Path, rows: int) -> LexicalIndex:
    try:
        lexical = LexicalIndex.load(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise IndexCorruptError(f"{folder.name} cannot be read ({exc})") from None
    if len(lexical) != rows:
        raise IndexCorruptError(f"{folder.name} scores {len(lexical)} texts for {rows} records")
    return lexical


def _read_documents(build: Path) -> DocumentStore:
    """The documents of a build, read a line of documents.jsonl at a time when asked for."""
    sources = _read_json_list(build / f.SOURCES)
    lines = _load_array(build, f.DOCUMENT_LINES, rows=len(sources) + 1)
    path = build / f.DOCUMENTS
    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    size = path.stat().st_size
    if len(lines) and (lines[0] != 0 or lines[-1] != size or np.any(np.diff(lines) <= 0)):
        raise IndexCorruptError(f"{f.DOCUMENT_LINES} does not match {path.name}")
    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) if size else b""

    def line(number: int) -> bytes:
        return mapped[int(lines[number]) : int(lines[number + 1])]

    def document(number: int):  # noqa: ANN202 - a Document, checked to parse
        from .records import document_from_json

        try:
            return document_from_json(line(number))
        except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{path.name} has a damaged record ({exc!r})") from None

    return DocumentStore(document, sources)


# ---------------------------------------------------------------------------------------------
# Writing


def remove_crashed_builds(index_dir: Path) -> int:
    """Remove the temporary build folders a crashed or killed build left (`builds/tmp-*`), unless
    a build holds the lock now; returns how many were removed."""
    builds = index_dir / BUILDS
    if not builds.is_dir():
        return 0
    try:
        with build_lock(index_dir, timeout=0):
            debris = list(builds.glob("tmp-*"))
            for folder in debris:
                shutil.rmtree(folder, ignore_errors=True)
    except IndexLockedError:
        return 0
    if debris:
        log.info("removed %d unfinished build folder(s) left in %s", len(debris), builds)
    return len(debris)


def new_build_dir(index_dir: Path) -> Path:
    """An empty temporary folder for a new build (`tmp-<build id>`), after clearing what crashed
    builds left."""
    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for debris in builds.glob("tmp-*"):  # left by a build that crashed; we hold the lock
        shutil.rmtree(debris, ignore_errors=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    tmp = builds / f"tmp-{build_id}"
    tmp.mkdir()
    return tmp


def publish(index_dir: Path, tmp: Path, manifest: dict[str, Any]) -> str:
    """Write the manifest, flush the build to disk, give it its final name, point CURRENT at it
    atomically, and remove old builds; returns the build's name."""
    (tmp / f.MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    build_id = tmp.name.removeprefix("tmp-")
    for path in tmp.rglob("*"):
        if path.is_file():
            _fsync(path)
    previous = current_build(index_dir)
    os.rename(tmp, index_dir / BUILDS / build_id)
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(build_id + "\n", "utf-8")
    _fsync(pointer)
    os.replace(pointer, index_dir / CURRENT)
    log.info("index build %s is live", build_id)
    _remove_old_builds(index_dir / BUILDS, keep={build_id, previous})
    return build_id


def _remove_old_builds(builds: Path, keep: set[str | None]) -> None:
    """Every finished build but those in `keep` (a reader may still be loading the previous one)."""
    for old in builds.iterdir():
        if old.name not in keep and not old.name.startswith("tmp-"):
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
