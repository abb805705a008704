"""The index on disk: the live-build pointer, the build lock, loading with validation, the
embedding caches a rebuild reuses, and writing a build so that readers only ever see a whole one.

Layout: see docs/index-format.md.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import time
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Sequence

import numpy as np

from ..corpus import Document
from ..embedding import TokenVectors, text_key
from ..errors import IndexCorruptError, IndexFormatError, IndexLockedError
from ..formats import Heading
from ..token_codec import TokenCodec
from ..token_scoring import SentenceTokens
from .manifest import FORMAT
from .vectors import VectorIndexInfo, make_vector_index, read_vector_index
from .records import IndexData, PassageRecord, SentenceRecord, own_heading, sentence_sections

if TYPE_CHECKING:  # faiss loads on first use, not on `import tilqa`
    import faiss

log = logging.getLogger(__name__)

TOKEN_FILES = ("token_offsets.npy", "token_ids.npy", "token_headings.npy")  # and the vectors, either of:
TOKEN_VECTORS = "token_vectors.npy"  # float16, in an index too small to train a codebook
TOKEN_CODES = ("token_codes.npy", "token_codebook.npy")  # product-quantization codes and codebook
PASSAGE_VECTORS = "passages.npy"
SENTENCE_VECTORS = "sentences.npy"
VECTOR_KEYS = "vector_keys.npy"  # the text_key of each row of passages.npy, then of sentences.npy
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
    """Load and check the live index.

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
    passages, sentences = read_records(build / "passages.jsonl")
    if manifest.get("passages") != len(passages):
        raise IndexCorruptError(
            f"manifest counts {manifest.get('passages')} passages, passages.jsonl has {len(passages)}"
        )
    searches = _vector_index_infos(manifest)
    dimension = manifest.get("dimension")
    _load_array(build, PASSAGE_VECTORS, mmap=True, rows=len(passages), dimension=dimension)
    sentence_vectors = _load_array(build, SENTENCE_VECTORS, mmap=True, rows=len(sentences), dimension=dimension)
    passage_search = _read_faiss(build / "passages.faiss", searches["passages"], len(passages), dimension)
    sentence_search = (
        _read_faiss(build / "sentences.faiss", searches["sentences"], len(sentences), dimension)
        if searches["sentences"].kind != "flat" else None
    )
    tokens = read_tokens(build, len(sentences)) if manifest.get("token_vectors") else None
    documents = read_documents(build)
    if any(p.source not in documents for p in passages):
        raise IndexCorruptError("documents.jsonl lacks the text of a document that passages.jsonl cites")
    return IndexData(
        build_id, manifest, passages, sentences, passage_search, sentence_vectors, tokens, documents, sentence_search
    )


def _vector_index_infos(manifest: dict[str, Any]) -> dict[str, VectorIndexInfo]:
    described = manifest.get("vector_index")
    try:
        return {name: VectorIndexInfo.from_dict(described[name]) for name in ("passages", "sentences")}  # type: ignore[index]
    except (TypeError, KeyError, ValueError) as exc:
        raise IndexCorruptError(f"manifest.json does not describe its vector indexes ({exc})") from None


def read_manifest(build: Path) -> dict[str, Any]:
    return _read_json(build / "manifest.json")


def _load_array(
    build: Path, name: str, mmap: bool = False, rows: int | None = None, dimension: int | None = None
) -> np.ndarray:
    """An array of the build, checked to hold `rows` rows of `dimension` values when given."""
    try:
        array = np.load(build / name, mmap_mode="r" if mmap else None, allow_pickle=False)
    except FileNotFoundError:
        raise IndexCorruptError(f"{name} is missing") from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{name} cannot be read ({exc})") from None
    if rows is not None and (array.ndim != 2 or len(array) != rows):
        raise IndexCorruptError(f"{name} holds {len(array)} vectors for {rows} records")
    if dimension is not None and array.shape[1] != dimension:
        raise IndexCorruptError(f"{name} has dimension {array.shape[1]}, manifest says {dimension}")
    return array


def read_tokens(build: Path, sentences: int) -> SentenceTokens:
    """The sentences' token vectors (or their codes); the big array is memory-mapped, read as
    it is used."""
    offsets, ids, headings = (_load_array(build, name) for name in TOKEN_FILES)
    codes = vectors = None
    codec = None
    if (build / TOKEN_CODES[0]).exists():
        codes = _load_array(build, TOKEN_CODES[0], mmap=True)
        codec = TokenCodec(_load_array(build, TOKEN_CODES[1]))
        stored, what = codes, "codes"
        if codes.ndim != 2 or codec.centroids.ndim != 3 or codes.shape[1] != codec.pieces:
            raise IndexCorruptError("token_codes.npy and token_codebook.npy disagree")
    else:
        vectors = _load_array(build, TOKEN_VECTORS, mmap=True)
        stored, what = vectors, "vectors"
    if offsets.ndim != 1 or len(offsets) <= sentences or offsets[0] != 0 or np.any(np.diff(offsets) < 0):
        raise IndexCorruptError(f"token_offsets.npy does not describe {sentences} sentences")
    if stored.ndim != 2 or not len(ids) == len(stored) == offsets[-1]:
        raise IndexCorruptError(
            f"token files disagree: {offsets[-1]} tokens by the offsets, {len(ids)} ids, {len(stored)} {what}"
        )
    rows = len(offsets) - 1
    if headings.shape != (sentences,) or np.any((headings != -1) & ((headings < sentences) | (headings >= rows))):
        raise IndexCorruptError(f"token_headings.npy does not name a heading row for each of {sentences} sentences")
    return SentenceTokens(offsets, ids, vectors, headings, codes, codec)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{path.name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise IndexCorruptError(f"{path.name} is not a JSON object")
    return value


def _read_faiss(path: Path, info: VectorIndexInfo, rows: int, dimension: Any) -> faiss.Index:
    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    try:
        index = read_vector_index(path, info)
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path.name} cannot be read ({str(exc).splitlines()[0]})") from None
    if index.ntotal != rows:
        raise IndexCorruptError(f"{path.name} holds {index.ntotal} vectors for {rows} records")
    if index.d != dimension:
        raise IndexCorruptError(f"{path.name} has dimension {index.d}, manifest says {dimension}")
    return index


def read_records(path: Path) -> tuple[tuple[PassageRecord, ...], tuple[SentenceRecord, ...]]:
    """The passages and sentences of `passages.jsonl`, checked to refer to each other."""
    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    passages: list[PassageRecord] = []
    sentences: list[SentenceRecord] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if row["kind"] == "sentence":
                    sentences.append(SentenceRecord(row["source"], row["start"], row["end"], row["text"]))
                else:
                    passages.append(
                        PassageRecord(
                            row["source"], row["start"], row["end"], row["text"], row["section"],
                            tuple(row["sentences"]), row.get("page"),
                        )
                    )
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} has a damaged record ({exc!r})") from None
    if any(i >= len(sentences) or i < 0 for p in passages for i in p.sentences):
        raise IndexCorruptError(f"{path.name} refers to sentences it does not hold")
    return tuple(passages), tuple(sentences)


def read_documents(build: Path) -> dict[str, Document]:
    """The extracted text of every document of a build, by source."""
    path = build / "documents.jsonl"
    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    documents: dict[str, Document] = {}
    try:
        with path.open(encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                headings = row["headings"]
                documents[row["source"]] = Document(
                    row["source"], row["text"], row["sha256"], row["format"],
                    None if headings is None else tuple(Heading(*h) for h in headings),
                    tuple(row["pages"]),
                )
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} has a damaged record ({exc!r})") from None
    return documents


# ---------------------------------------------------------------------------------------------
# What a rebuild reuses from the live build


def read_extraction_cache(index_dir: Path) -> dict[str, Document]:
    """The live build's extracted documents by content hash (so a file moved or renamed is not
    extracted again either); empty when there is none or it is unusable."""
    build = live_build_dir(index_dir)
    if build is None:
        return {}
    try:
        return {d.sha256: d for d in read_documents(build).values()}
    except (OSError, IndexCorruptError) as exc:
        log.info("no reusable extracted text in %s (%s)", index_dir, exc)
        return {}


def read_skipped_cache(index_dir: Path) -> dict[str, str]:
    """Why the live build skipped each file it could not read, by content hash."""
    build = live_build_dir(index_dir)
    if build is None:
        return {}
    try:
        skipped = read_manifest(build).get("skipped", {})
        return {e["sha256"]: e["reason"] for e in skipped.values()}
    except (OSError, IndexCorruptError, AttributeError, KeyError, TypeError):
        return {}


def read_vector_cache(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the live build, keyed by text_key; empty when there is none or it is unusable."""
    build = live_build_dir(index_dir)
    if build is None:
        return {}
    try:
        manifest = read_manifest(build)
        if manifest.get("format") != FORMAT or manifest.get("model") != model:
            return {}
        keys = _load_array(build, VECTOR_KEYS)
        vectors = [_load_array(build, name, mmap=True) for name in (PASSAGE_VECTORS, SENTENCE_VECTORS)]
    except (OSError, IndexCorruptError) as exc:
        log.info("no reusable embeddings in %s (%s)", build, exc)
        return {}
    rows = [row for array in vectors for row in array]  # views of the mapped files, read when stacked
    if len(rows) != len(keys):
        log.info("no reusable embeddings in %s (%d keys for %d vectors)", build, len(keys), len(rows))
        return {}
    return dict(zip(keys.astype(str).tolist(), rows))


def read_token_cache(index_dir: Path, model: str) -> tuple[dict[str, TokenVectors], TokenCodec | None]:
    """Token vectors of the live build's sentences and headings, keyed by text_key, as stored
    (float16 vectors, or uint8 codes of the codebook returned with them); empty when unusable."""
    build = live_build_dir(index_dir)
    if build is None:
        return {}, None
    try:  # only what the token rows need: the records and token files, not the FAISS indexes
        manifest = read_manifest(build)
        if manifest.get("format") != FORMAT or not manifest.get("token_vectors") or manifest.get("model") != model:
            return {}, None
        passages, sentences = read_records(build / "passages.jsonl")
        tokens = read_tokens(build, len(sentences))
    except (OSError, IndexCorruptError) as exc:
        log.info("no reusable token vectors in %s (%s)", index_dir, exc)
        return {}, None
    texts = {row: sentence.text for row, sentence in enumerate(sentences)}
    sections = sentence_sections(passages, len(sentences))
    for row, heading_row in enumerate(tokens.headings.tolist()):
        if heading_row >= 0:
            texts[heading_row] = own_heading(sections[row])
    stored = tokens.codes if tokens.codes is not None else tokens.vectors
    assert stored is not None
    cache = {}
    for row, text in texts.items():  # slices of the memory-mapped file, read when stacked
        start, end = int(tokens.offsets[row]), int(tokens.offsets[row + 1])
        cache[text_key(model, text)] = TokenVectors(tokens.ids[start:end], stored[start:end])
    return cache, tokens.codec


# ---------------------------------------------------------------------------------------------
# Writing


def write_build(
    index_dir: Path,
    manifest: dict[str, Any],
    documents: Sequence[Document],
    passages: Sequence[PassageRecord],
    sentences: Sequence[SentenceRecord],
    vectors: np.ndarray,
    keys: Sequence[str],
    tokens: SentenceTokens | None,
) -> str:
    """Write a build under a temporary name, make it live atomically, and remove old builds;
    returns its name. `vectors` holds the passages' rows, then the sentences'; `keys` their
    text_keys, for the next build to reuse."""
    builds = index_dir / BUILDS
    tmp, build_id = _new_build_dir(builds)
    _write_documents(tmp / "documents.jsonl", documents)
    _write_records(tmp / "passages.jsonl", passages, sentences)
    manifest = {**manifest, "vector_index": _write_vectors(tmp, vectors, keys, len(passages), manifest["dimension"])}
    if tokens is not None:
        _write_tokens(tmp, tokens)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    previous = current_build(index_dir)
    _publish(index_dir, tmp, build_id)
    _remove_old_builds(builds, keep={build_id, previous})
    return build_id


def _new_build_dir(builds: Path) -> tuple[Path, str]:
    """An empty temporary folder for a new build, after clearing what crashed builds left."""
    builds.mkdir(parents=True, exist_ok=True)
    for debris in builds.glob("tmp-*"):  # left by a build that crashed; we hold the lock
        shutil.rmtree(debris, ignore_errors=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    tmp = builds / f"tmp-{build_id}"
    tmp.mkdir()
    return tmp, build_id


def _write_documents(path: Path, documents: Sequence[Document]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for d in documents:
            headings = None if d.headings is None else [[h.start, h.end, h.level] for h in d.headings]
            row = {"source": d.source, "sha256": d.sha256, "format": d.format, "pages": list(d.pages),
                   "headings": headings, "text": d.text}
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def _write_records(path: Path, passages: Sequence[PassageRecord], sentences: Sequence[SentenceRecord]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for s in sentences:
            handle.write(json.dumps({"kind": "sentence", **asdict(s)}, ensure_ascii=False) + "\n")
        for p in passages:
            handle.write(json.dumps({"kind": "passage", **asdict(p)}, ensure_ascii=False) + "\n")


def _write_vectors(
    folder: Path, vectors: np.ndarray, keys: Sequence[str], passages: int, dimension: int
) -> dict[str, dict[str, Any]]:
    """The passages' and sentences' vectors (float32 .npy, read memory-mapped), their text_keys
    (the next build's embedding cache), and the search index of each: passages.faiss always,
    sentences.faiss only when approximate (exact sentence search reads sentences.npy). Returns
    the manifest's description of the two searches."""
    import faiss

    vectors = vectors.reshape(-1, dimension)
    np.save(folder / PASSAGE_VECTORS, vectors[:passages], allow_pickle=False)
    np.save(folder / SENTENCE_VECTORS, vectors[passages:], allow_pickle=False)
    np.save(folder / VECTOR_KEYS, np.array(list(keys), dtype="S64"), allow_pickle=False)
    described = {}
    for name, rows in (("passages", vectors[:passages]), ("sentences", vectors[passages:])):
        index, info = make_vector_index(rows)
        if name == "passages" or info.kind != "flat":
            faiss.write_index(index, str(folder / f"{name}.faiss"))
        described[name] = info.to_dict()
    return described


def _write_tokens(folder: Path, tokens: SentenceTokens) -> None:
    for name, array in zip(TOKEN_FILES, (tokens.offsets, tokens.ids, tokens.headings)):
        np.save(folder / name, array, allow_pickle=False)
    if tokens.codes is not None and tokens.codec is not None:
        np.save(folder / TOKEN_CODES[0], tokens.codes, allow_pickle=False)
        np.save(folder / TOKEN_CODES[1], tokens.codec.centroids, allow_pickle=False)
    else:
        np.save(folder / TOKEN_VECTORS, tokens.vectors, allow_pickle=False)


def _publish(index_dir: Path, tmp: Path, build_id: str) -> None:
    """Flush the build to disk, give it its final name and point CURRENT at it, atomically."""
    for path in tmp.iterdir():
        _fsync(path)
    os.rename(tmp, index_dir / BUILDS / build_id)
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(build_id + "\n", "utf-8")
    _fsync(pointer)
    os.replace(pointer, index_dir / CURRENT)
    log.info("index build %s is live", build_id)


def _remove_old_builds(builds: Path, keep: set[str | None]) -> None:
    """Every finished build but those in `keep` (a reader may still be loading the previous one)."""
    for old in builds.iterdir():
        if old.name not in keep and not old.name.startswith("tmp-"):
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
