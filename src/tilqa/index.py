"""The saved index: build (incrementally, under a lock), swap in atomically, load and validate.

Layout of `index/`: `CURRENT` names the live build in `builds/`; a build holds `manifest.json`,
`passages.jsonl`, `passages.faiss`, `sentences.faiss` and `embeddings.npz` (vectors keyed by a
hash of model and text, so a rebuild embeds only new text), and for token scoring the sentences'
token vectors and their headings': `token_vectors.npy` (float16), `token_ids.npy`,
`token_offsets.npy` and `token_headings.npy`. A build is written under a temporary name and made
live by replacing `CURRENT`, so readers always see a whole index.
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from ._version import __version__
from .chunking import SECTION_SEPARATOR, Passage, chunk_document
from .config import Settings
from .corpus import Document, SkippedFile, load_corpus
from .embedding import Embedder, TokenVectors, text_key
from .errors import IndexCorruptError, IndexLockedError
from .token_scoring import SentenceTokens

if TYPE_CHECKING:  # faiss loads on first use, not on `import tilqa`
    import faiss

log = logging.getLogger(__name__)

FORMAT = 3  # 2: token vectors; 3: and the token vectors of each sentence's heading
TOKEN_FILES = ("token_offsets.npy", "token_ids.npy", "token_vectors.npy", "token_headings.npy")
CURRENT = "CURRENT"
BUILDS = "builds"
LOCK = ".build.lock"


@dataclass(frozen=True)
class PassageRecord:
    source: str
    start: int
    end: int
    text: str
    section: str
    sentences: tuple[int, ...]  # rows of IndexData.sentences


@dataclass(frozen=True)
class SentenceRecord:
    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class IndexData:
    """A loaded index: records, vectors and the manifest they were built with."""

    build_id: str
    manifest: dict
    passages: tuple[PassageRecord, ...]
    sentences: tuple[SentenceRecord, ...]
    passage_vectors: faiss.Index
    sentence_vectors: np.ndarray
    tokens: SentenceTokens | None = None  # when built for token scoring


@dataclass(frozen=True)
class BuildReport:
    """What a build did (or that it had nothing to do)."""

    rebuilt: bool
    reason: str
    files: int
    skipped: tuple[str, ...]
    passages: int
    sentences: int
    embedded: int
    reused: int
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)

    def summary(self) -> str:
        if not self.rebuilt:
            return f"index up to date ({self.files} files, {self.passages} passages)"
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        return (
            f"built index: {self.files} files{skipped}, {self.passages} passages, "
            f"{self.sentences} sentences; embedded {self.embedded} texts, reused {self.reused}; "
            f"{self.seconds:.1f} s ({self.reason})"
        )


def passage_embedding_text(section: str, text: str) -> str:
    """What is embedded for a passage: its heading path, then its text."""
    return f"{section}\n{text}" if section else text


def sentence_sections(passages: Sequence[PassageRecord], count: int) -> list[str]:
    """Each of `count` sentences' heading path (that of the first passage holding it)."""
    sections = [""] * count
    for p in passages:
        for row in p.sentences:
            sections[row] = sections[row] or p.section
    return sections


def own_heading(section: str) -> str:
    """The last heading of a heading path: the one a sentence sits directly under."""
    return section.rsplit(SECTION_SEPARATOR, 1)[-1]


# ---------------------------------------------------------------------------------------------
# Freshness


def manifest_for(settings: Settings, files: dict[str, str], dimension: int, counts: dict) -> dict:
    return {
        "format": FORMAT,
        "tilqa_version": __version__,
        "model": settings.model,
        "dimension": dimension,
        "chunking": settings.chunking_params(),
        "token_vectors": settings.token_scoring,
        "files": files,
        **counts,
    }


def stale_reason(manifest: dict, settings: Settings, files: dict[str, str]) -> str | None:
    """Why an index built with `manifest` does not fit these settings and corpus, or None."""
    if manifest.get("format") != FORMAT:
        return f"index is in format {manifest.get('format')}, this tilqa writes format {FORMAT}"
    if manifest.get("tilqa_version") != __version__:
        return f"index was built by tilqa {manifest.get('tilqa_version')}, this is {__version__}"
    if manifest.get("model") != settings.model:
        return f"model changed from {manifest.get('model')} to {settings.model}"
    if manifest.get("chunking") != settings.chunking_params():
        return "chunking settings changed"
    if settings.token_scoring and not manifest.get("token_vectors"):
        return "sentence_scoring 'tokens' needs token vectors, which the index was built without"
    old: dict = manifest.get("files", {})
    added = sorted(set(files) - set(old))
    removed = sorted(set(old) - set(files))
    changed = sorted(s for s in set(files) & set(old) if files[s] != old[s])
    parts = [
        f"{label}: {', '.join(names[:3])}{' …' if len(names) > 3 else ''}"
        for label, names in (("added", added), ("changed", changed), ("removed", removed))
        if names
    ]
    return "corpus " + "; ".join(parts) if parts else None


# ---------------------------------------------------------------------------------------------
# Loading


def current_build(index_dir: Path) -> str | None:
    """The name of the live build, or None when there is no index."""
    try:
        name = (index_dir / CURRENT).read_text("utf-8").strip()
    except FileNotFoundError:
        return None
    return name or None


def load_index(index_dir: Path) -> IndexData:
    """Load and check the live index; IndexCorruptError names what is wrong with it."""
    build_id = current_build(index_dir)
    if build_id is None:
        raise FileNotFoundError(f"no index in {index_dir}")
    build = index_dir / BUILDS / build_id
    if not build.is_dir():
        raise IndexCorruptError(f"{CURRENT} names build {build_id!r}, which is missing")
    manifest = _read_json(build / "manifest.json")
    passages, sentences = _read_records(build / "passages.jsonl")
    passage_vectors = _read_faiss(build / "passages.faiss")
    sentence_index = _read_faiss(build / "sentences.faiss")
    dim = manifest.get("dimension")
    for name, idx, expected in (
        ("passages.faiss", passage_vectors, len(passages)),
        ("sentences.faiss", sentence_index, len(sentences)),
    ):
        if idx.ntotal != expected:
            raise IndexCorruptError(f"{name} holds {idx.ntotal} vectors for {expected} records")
        if idx.d != dim:
            raise IndexCorruptError(f"{name} has dimension {idx.d}, manifest says {dim}")
    if manifest.get("passages") != len(passages):
        raise IndexCorruptError(
            f"manifest counts {manifest.get('passages')} passages, passages.jsonl has {len(passages)}"
        )
    sentence_vectors = sentence_index.reconstruct_n(0, sentence_index.ntotal)
    # An index of another format is stale, not damaged: stale_reason says so, and it is rebuilt.
    current_format = manifest.get("format") == FORMAT
    tokens = _read_tokens(build, len(sentences)) if manifest.get("token_vectors") and current_format else None
    return IndexData(build_id, manifest, passages, sentences, passage_vectors, sentence_vectors, tokens)


def _read_tokens(build: Path, sentences: int) -> SentenceTokens:
    """The sentences' token vectors; the big array is memory-mapped, read as it is used."""
    arrays = []
    for name in TOKEN_FILES:
        try:
            mmap = "r" if name == "token_vectors.npy" else None
            arrays.append(np.load(build / name, mmap_mode=mmap, allow_pickle=False))
        except FileNotFoundError:
            raise IndexCorruptError(f"{name} is missing") from None
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(f"{name} cannot be read ({exc})") from None
    offsets, ids, vectors, headings = arrays
    if offsets.ndim != 1 or len(offsets) <= sentences or offsets[0] != 0 or np.any(np.diff(offsets) < 0):
        raise IndexCorruptError(f"token_offsets.npy does not describe {sentences} sentences")
    if vectors.ndim != 2 or not len(ids) == len(vectors) == offsets[-1]:
        raise IndexCorruptError(
            f"token files disagree: {offsets[-1]} tokens by the offsets, {len(ids)} ids, {len(vectors)} vectors"
        )
    rows = len(offsets) - 1
    if headings.shape != (sentences,) or np.any((headings != -1) & ((headings < sentences) | (headings >= rows))):
        raise IndexCorruptError(f"token_headings.npy does not name a heading row for each of {sentences} sentences")
    return SentenceTokens(offsets, ids, vectors, headings)


def _read_json(path: Path) -> dict:
    try:
        value = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(f"{path.name} is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise IndexCorruptError(f"{path.name} is not a JSON object")
    return value


def _read_faiss(path: Path) -> faiss.Index:
    import faiss

    if not path.is_file():
        raise IndexCorruptError(f"{path.name} is missing")
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        raise IndexCorruptError(f"{path.name} cannot be read ({str(exc).splitlines()[0]})") from None


def _read_records(path: Path) -> tuple[tuple[PassageRecord, ...], tuple[SentenceRecord, ...]]:
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
                            tuple(row["sentences"]),
                        )
                    )
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(f"{path.name} has a damaged record ({exc!r})") from None
    if any(i >= len(sentences) or i < 0 for p in passages for i in p.sentences):
        raise IndexCorruptError(f"{path.name} refers to sentences it does not hold")
    return tuple(passages), tuple(sentences)


def _read_cache(index_dir: Path, model: str) -> dict[str, np.ndarray]:
    """Vectors of the live build, keyed by text_key; empty when there is none or it is unusable."""
    build_id = current_build(index_dir)
    if build_id is None:
        return {}
    path = index_dir / BUILDS / build_id / "embeddings.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["model"]) != model:
                return {}
            return dict(zip(data["keys"].tolist(), data["vectors"]))
    except (OSError, KeyError, ValueError) as exc:
        log.info("no reusable embeddings in %s (%s)", path, exc)
        return {}


def _read_token_cache(index_dir: Path, model: str) -> dict[str, TokenVectors]:
    """Token vectors of the live build's sentences, keyed by text_key; empty when unusable."""
    build_id = current_build(index_dir)
    if build_id is None:
        return {}
    build = index_dir / BUILDS / build_id
    try:  # only what the token rows need: the records and token files, not the FAISS indexes
        manifest = _read_json(build / "manifest.json")
        if manifest.get("format") != FORMAT or not manifest.get("token_vectors") or manifest.get("model") != model:
            return {}
        passages, sentences = _read_records(build / "passages.jsonl")
        tokens = _read_tokens(build, len(sentences))
    except (OSError, IndexCorruptError) as exc:
        log.info("no reusable token vectors in %s (%s)", index_dir, exc)
        return {}
    texts = {row: sentence.text for row, sentence in enumerate(sentences)}
    sections = sentence_sections(passages, len(sentences))
    for row, heading_row in enumerate(tokens.headings.tolist()):
        if heading_row >= 0:
            texts[heading_row] = own_heading(sections[row])
    cache = {}
    for row, text in texts.items():  # slices of the memory-mapped file, read when stacked
        start, end = int(tokens.offsets[row]), int(tokens.offsets[row + 1])
        cache[text_key(model, text)] = TokenVectors(tokens.ids[start:end], tokens.vectors[start:end])
    return cache


# ---------------------------------------------------------------------------------------------
# Building


@contextlib.contextmanager
def build_lock(index_dir: Path, timeout: float) -> Iterator[None]:
    """Hold the index's build lock; wait up to `timeout` seconds for another build to finish."""
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


def refresh_index(
    settings: Settings,
    embedder: Embedder,
    force: bool = False,
    show_progress: bool | None = None,
    lock_timeout: float = 600.0,
) -> BuildReport:
    """Bring `index/` up to date with the corpus and settings; rebuild only when needed."""
    started = time.perf_counter()
    documents, skipped = load_corpus(settings.corpus_dir)
    files = {d.source: d.sha256 for d in documents}
    index_dir = settings.index_dir
    with build_lock(index_dir, lock_timeout):
        reason = "forced rebuild" if force else _why_rebuild(index_dir, settings, files)
        if reason is None:
            manifest = _read_json(index_dir / BUILDS / str(current_build(index_dir)) / "manifest.json")
            return BuildReport(
                False, "up to date", len(documents), tuple(s.source for s in skipped),
                manifest.get("passages", 0), manifest.get("sentences", 0), 0, 0,
                time.perf_counter() - started,
            )
        log.info("building index: %s", reason)
        return _build(settings, embedder, documents, skipped, reason, started, show_progress)


def _why_rebuild(index_dir: Path, settings: Settings, files: dict[str, str]) -> str | None:
    build_id = current_build(index_dir)
    if build_id is None:
        return "no index yet"
    try:
        load_index(index_dir)  # validates every file, not only the manifest
    except IndexCorruptError as exc:
        log.warning("index in %s is damaged: %s", index_dir, exc)
        return f"index damaged: {exc}"
    manifest = _read_json(index_dir / BUILDS / build_id / "manifest.json")
    return stale_reason(manifest, settings, files)


def _build(
    settings: Settings,
    embedder: Embedder,
    documents: list[Document],
    skipped: list[SkippedFile],
    reason: str,
    started: float,
    show_progress: bool | None,
) -> BuildReport:
    passages: list[Passage] = []
    for document in documents:
        passages.extend(
            chunk_document(document, settings.passage_sentences, settings.passage_overlap)
        )
    sentence_rows: dict[tuple[str, int], int] = {}
    sentences: list[SentenceRecord] = []
    records: list[PassageRecord] = []
    for passage in passages:
        ids = []
        for s in passage.sentences:
            key = (s.source, s.start)
            if key not in sentence_rows:
                sentence_rows[key] = len(sentences)
                sentences.append(SentenceRecord(s.source, s.start, s.end, s.text))
            ids.append(sentence_rows[key])
        records.append(
            PassageRecord(passage.source, passage.start, passage.end, passage.text, passage.section, tuple(ids))
        )

    texts = [passage_embedding_text(r.section, r.text) for r in records] + [s.text for s in sentences]
    cache = _read_cache(settings.index_dir, settings.model)
    keys = [text_key(settings.model, t) for t in texts]
    token_cache = _read_token_cache(settings.index_dir, settings.model) if settings.token_scoring else {}
    # Each sentence's own heading, whose tokens a sentence is also matched by.
    headings = [own_heading(h) for h in sentence_sections(records, len(sentences))] if settings.token_scoring else []
    heading_texts = list(dict.fromkeys(h for h in headings if h))
    heading_keys = [text_key(settings.model, h) for h in heading_texts]
    # Sentences and headings lacking token vectors are embedded with them (one forward pass).
    needs_tokens = set(keys[len(records):]) | set(heading_keys) if settings.token_scoring else set()
    wanted = dict(zip(keys, texts)) | dict(zip(heading_keys, heading_texts))
    vector_keys = set(keys)
    missing = sorted(
        (k, t) for k, t in wanted.items()
        if (k in vector_keys and k not in cache) or (k in needs_tokens and k not in token_cache)
    )
    with_tokens = [(k, t) for k, t in missing if k in needs_tokens]
    plain = [(k, t) for k, t in missing if k not in needs_tokens]
    if plain:
        cache.update(zip([k for k, _ in plain], embedder.encode([t for _, t in plain], show_progress=show_progress)))
    if with_tokens:
        fresh, fresh_tokens = embedder.encode_with_tokens([t for _, t in with_tokens], show_progress=show_progress)
        cache.update(zip([k for k, _ in with_tokens], fresh))
        token_cache.update(zip([k for k, _ in with_tokens], fresh_tokens))
    dimension = int(next(iter(cache.values())).shape[0]) if cache else embedder.dimension
    vectors = np.stack([cache[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dimension), np.float32)

    counts = {"files_indexed": len(documents), "passages": len(records), "sentences": len(sentences)}
    manifest = manifest_for(settings, {d.source: d.sha256 for d in documents}, dimension, counts)
    tokens = None
    if settings.token_scoring:
        heading_row = {h: len(sentences) + i for i, h in enumerate(heading_texts)}
        tokens = _stack_tokens(
            [token_cache[k] for k in keys[len(records):]] + [token_cache[k] for k in heading_keys],
            [heading_row.get(h, -1) for h in headings],
        )
    _write_build(settings.index_dir, manifest, records, sentences, vectors, keys, settings.model, tokens)
    return BuildReport(
        True, reason, len(documents), tuple(s.source for s in skipped), len(records),
        len(sentences), len(missing), len(wanted) - len(missing), time.perf_counter() - started,
    )


def _stack_tokens(rows: list[TokenVectors], headings: list[int]) -> SentenceTokens:
    """Token rows (the sentences', then their headings'), and each sentence's heading row."""
    heading_rows = np.array(headings, dtype=np.int32)
    if not rows:
        return SentenceTokens(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros((0, 0), np.float16), heading_rows)
    lengths = [len(t.ids) for t in rows]
    return SentenceTokens(
        np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
        np.concatenate([t.ids for t in rows]).astype(np.int32),
        np.concatenate([t.vectors for t in rows], dtype=np.float16),
        heading_rows,
    )


def _flat_index(vectors: np.ndarray, dimension: int) -> faiss.Index:
    import faiss

    index = faiss.IndexFlatIP(dimension)
    if len(vectors):
        index.add(vectors)
    return index


def _write_build(
    index_dir: Path,
    manifest: dict,
    passages: list[PassageRecord],
    sentences: list[SentenceRecord],
    vectors: np.ndarray,
    keys: list[str],
    model: str,
    tokens: SentenceTokens | None,
) -> None:
    import faiss

    builds = index_dir / BUILDS
    builds.mkdir(parents=True, exist_ok=True)
    for debris in builds.glob("tmp-*"):  # left by a build that crashed; we hold the lock
        shutil.rmtree(debris, ignore_errors=True)
    build_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)
    tmp = builds / f"tmp-{build_id}"
    tmp.mkdir()
    dim = manifest["dimension"]
    n = len(passages)
    with (tmp / "passages.jsonl").open("w", encoding="utf-8") as handle:
        for s in sentences:
            handle.write(json.dumps({"kind": "sentence", **asdict(s)}, ensure_ascii=False) + "\n")
        for p in passages:
            handle.write(json.dumps({"kind": "passage", **asdict(p)}, ensure_ascii=False) + "\n")
    faiss.write_index(_flat_index(vectors[:n], dim), str(tmp / "passages.faiss"))
    faiss.write_index(_flat_index(vectors[n:], dim), str(tmp / "sentences.faiss"))
    unique = dict(zip(keys, range(len(keys))))
    np.savez(
        tmp / "embeddings.npz",
        model=np.array(model),
        keys=np.array(list(unique), dtype="U64"),
        vectors=vectors[list(unique.values())] if unique else np.zeros((0, dim), np.float32),
    )
    if tokens is not None:
        for name, array in zip(TOKEN_FILES, (tokens.offsets, tokens.ids, tokens.vectors, tokens.headings)):
            np.save(tmp / name, array, allow_pickle=False)
    (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False), "utf-8")
    for path in tmp.iterdir():
        _fsync(path)
    final = builds / build_id
    os.rename(tmp, final)
    previous = current_build(index_dir)
    pointer = index_dir / f"{CURRENT}.tmp"
    pointer.write_text(build_id + "\n", "utf-8")
    _fsync(pointer)
    os.replace(pointer, index_dir / CURRENT)
    log.info("index build %s is live", build_id)
    keep = {build_id, previous}  # a reader may still be loading the previous build
    for old in builds.iterdir():
        if old.name not in keep and not old.name.startswith("tmp-"):
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())
