"""Building the index: chunk the corpus, embed only text no earlier build embedded, write the
build atomically under the build lock."""

from __future__ import annotations

import dataclasses
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ..chunking import chunk_document
from ..config import Settings
from .. import token_codec
from ..progress import text_progress
from ..corpus import CorpusFile, Document, SkippedFile, read_documents, require_documents, scan_corpus, warn_skipped
from ..embedding import Encoder, TokenVectors, text_key
from ..errors import IndexCorruptError, IndexFormatError
from ..token_codec import TokenCodec
from ..token_scoring import SentenceTokens
from .manifest import manifest_for, stale_reason
from .records import BuildReport, PassageRecord, SentenceRecord, own_heading, passage_embedding_text, sentence_sections
from .store import (
    build_lock,
    live_build_dir,
    load_index,
    read_extraction_cache,
    read_manifest,
    read_skipped_cache,
    read_token_cache,
    read_vector_cache,
    write_build,
)

log = logging.getLogger(__name__)


def refresh_index(
    settings: Settings,
    embedder: Encoder,
    force: bool = False,
    show_progress: bool | None = None,
    lock_timeout: float = 600.0,
) -> BuildReport:
    """Bring `index/` up to date with the corpus and settings; rebuild only when needed, and
    then extract only changed files and embed only text no earlier build embedded.

    :raises CorpusError: when the corpus folder is missing or holds no readable document.
    :raises IndexLockedError: when another build holds the lock for longer than `lock_timeout`.
    """
    started = time.perf_counter()
    files, unsupported = scan_corpus(settings.corpus_dir)
    hashes = {f.source: f.sha256 for f in files}
    index_dir = settings.index_dir
    with build_lock(index_dir, lock_timeout):
        reason = "forced rebuild" if force else why_rebuild(settings, hashes)
        if reason is None:
            manifest = read_manifest(live_build_dir(index_dir))  # type: ignore[arg-type]
            skipped = [*unsupported, *(SkippedFile(s, e["reason"]) for s, e in manifest.get("skipped", {}).items())]
            return BuildReport(
                False, "up to date", manifest.get("files_indexed", 0), tuple(sorted(skipped, key=_by_source)),
                manifest.get("passages", 0), manifest.get("sentences", 0), 0, 0, time.perf_counter() - started,
            )
        log.info("building index: %s", reason)
        documents, unreadable, extracted = extract_corpus(files, index_dir, show_progress)
        skipped = sorted([*unsupported, *unreadable], key=_by_source)
        warn_skipped(skipped)
        require_documents(settings.corpus_dir, documents, skipped)
        passages, sentences = chunk_corpus(documents, settings)
        embedded = embed(passages, sentences, settings, embedder, show_progress)
        counts = {"files_indexed": len(documents), "passages": len(passages), "sentences": len(sentences)}
        manifest = manifest_for(
            settings,
            {d.source: d.sha256 for d in documents},
            {s.source: {"sha256": hashes[s.source], "reason": s.reason} for s in unreadable},
            embedded.dimension,
            counts,
        )
        write_build(
            index_dir, manifest, documents, passages, sentences,
            embedded.vectors, embedded.keys, embedded.tokens,
        )
        return BuildReport(
            True, reason, len(documents), tuple(skipped), len(passages), len(sentences),
            embedded.embedded, embedded.reused, time.perf_counter() - started, extracted,
        )


def _by_source(skipped: SkippedFile) -> str:
    return skipped.source


def extract_corpus(
    files: Sequence[CorpusFile], index_dir: Path, show_progress: bool | None = None
) -> tuple[list[Document], list[SkippedFile], int]:
    """Every file's extracted text, reusing the live build's for files whose content it has
    seen (a file it could not read is not tried again either); returns the documents, the
    files skipped, and how many files were extracted now."""
    previous = read_extraction_cache(index_dir)
    failed = read_skipped_cache(index_dir)
    documents: list[Document] = []
    skipped: list[SkippedFile] = []
    fresh = [f for f in files if f.sha256 not in previous and f.sha256 not in failed]
    extracted: dict[str, Document | SkippedFile] = {
        r.source: r for group in read_documents(fresh, show_progress) for r in group
    }
    for f in files:
        if f.sha256 in previous:
            documents.append(dataclasses.replace(previous[f.sha256], source=f.source))
        elif f.sha256 in failed:
            skipped.append(SkippedFile(f.source, failed[f.sha256]))
        else:
            result = extracted[f.source]
            (skipped if isinstance(result, SkippedFile) else documents).append(result)  # type: ignore[arg-type]
    return documents, skipped, len(fresh)


def why_rebuild(settings: Settings, files: dict[str, str]) -> str | None:
    """Why the live index must be rebuilt for `files` ({source: sha256}), or None."""
    build = live_build_dir(settings.index_dir)
    if build is None:
        return "no index yet"
    try:
        load_index(settings.index_dir)  # validates every file, not only the manifest
    except IndexFormatError as exc:
        return str(exc)
    except IndexCorruptError as exc:
        log.warning("index in %s is damaged: %s", settings.index_dir, exc)
        return f"index damaged: {exc}"
    return stale_reason(read_manifest(build), settings, files)


def chunk_corpus(
    documents: Sequence[Document], settings: Settings
) -> tuple[list[PassageRecord], list[SentenceRecord]]:
    """Every document's passages, and their sentences, each sentence once (passages overlap)."""
    sentence_rows: dict[tuple[str, int], int] = {}
    sentences: list[SentenceRecord] = []
    records: list[PassageRecord] = []
    for document in documents:
        for passage in chunk_document(document, settings.passage_sentences, settings.passage_overlap):
            ids = []
            for s in passage.sentences:
                key = (s.source, s.start)
                if key not in sentence_rows:
                    sentence_rows[key] = len(sentences)
                    sentences.append(SentenceRecord(s.source, s.start, s.end, s.text))
                ids.append(sentence_rows[key])
            records.append(
                PassageRecord(
                    passage.source, passage.start, passage.end, passage.text, passage.section, tuple(ids), passage.page
                )
            )
    return records, sentences


@dataclass(frozen=True)
class Embedded:
    """The vectors of a build: passages' rows then sentences', their cache keys, and the token
    vectors of sentences and headings when scoring by tokens."""

    vectors: np.ndarray
    keys: list[str]
    tokens: SentenceTokens | None
    dimension: int
    embedded: int  # texts run through the model in this build
    reused: int  # texts whose vectors an earlier build had made


def embed(
    passages: Sequence[PassageRecord],
    sentences: Sequence[SentenceRecord],
    settings: Settings,
    embedder: Encoder,
    show_progress: bool | None,
) -> Embedded:
    """Vectors for every passage and sentence (and token vectors for sentences and their
    headings), embedding only what the live build's caches lack, in one forward pass per text."""
    model = settings.model
    texts = [passage_embedding_text(p.section, p.text) for p in passages] + [s.text for s in sentences]
    keys = [text_key(model, t) for t in texts]
    cache = read_vector_cache(settings.index_dir, model)
    token_cache, codec = read_token_cache(settings.index_dir, model) if settings.token_scoring else ({}, None)
    # Each sentence's own heading, whose tokens a sentence is also matched by.
    headings = [own_heading(h) for h in sentence_sections(passages, len(sentences))] if settings.token_scoring else []
    heading_texts = list(dict.fromkeys(h for h in headings if h))
    heading_keys = [text_key(model, h) for h in heading_texts]
    # Sentences and headings lacking token vectors are embedded with them (one forward pass).
    needs_tokens = set(keys[len(passages):]) | set(heading_keys) if settings.token_scoring else set()
    wanted = dict(zip(keys, texts)) | dict(zip(heading_keys, heading_texts))
    vector_keys = set(keys)
    missing = sorted(
        (k, t) for k, t in wanted.items()
        if (k in vector_keys and k not in cache) or (k in needs_tokens and k not in token_cache)
    )
    codec = _embed_missing(missing, needs_tokens, embedder, cache, token_cache, codec, show_progress)
    dimension = int(next(iter(cache.values())).shape[0]) if cache else embedder.dimension
    vectors = np.stack([cache[k] for k in keys]).astype(np.float32) if keys else np.zeros((0, dimension), np.float32)
    tokens = None
    if settings.token_scoring:
        heading_row = {h: len(sentences) + i for i, h in enumerate(heading_texts)}
        tokens = stack_tokens(
            [token_cache[k] for k in keys[len(passages):]] + [token_cache[k] for k in heading_keys],
            [heading_row.get(h, -1) for h in headings],
            codec,
        )
    return Embedded(vectors, keys, tokens, dimension, len(missing), len(wanted) - len(missing))


# Texts per encoder call in a build. The build keeps only the vectors of what it embedded and,
# once a codebook exists, the codes of their tokens (48 bytes a token, not 768 of float16 values
# nor the encoder's float32 output), so its memory grows with the corpus by about 2 KiB a sentence
# rather than 30; an encoder may ask for larger calls (`build_chunk`, e.g. a Ray actor pool, which
# costs seconds to start).
EMBED_CHUNK = 2048


def _embed_missing(
    missing: list[tuple[str, str]],
    needs_tokens: set[str],
    embedder: Encoder,
    cache: dict[str, np.ndarray],
    token_cache: dict[str, TokenVectors],
    codec: TokenCodec | None,
    show_progress: bool | None,
) -> TokenCodec | None:
    """Embed `missing` ((key, text) pairs) into the caches, chunk by chunk, one pass of the
    encoder a text: token vectors are kept for the texts in `needs_tokens` (sentences and
    headings, not passages), as codes of `codec` as soon as there is one. Without a codebook, one
    is trained as soon as a chunk brings `MAX_TRAINING_TOKENS` token vectors; returns the codebook
    (None while the index is too small to train one)."""
    if not missing:
        return codec
    chunk = max(1, int(getattr(embedder, "build_chunk", EMBED_CHUNK)))
    waiting: list[str] = []  # keys whose float16 token vectors wait for a codebook
    with text_progress(len(missing), show_progress, "embedding") as bar:
        for first in range(0, len(missing), chunk):
            part = missing[first : first + chunk]
            keys, texts = [k for k, _ in part], [t for _, t in part]
            if not needs_tokens:
                cache.update(zip(keys, embedder.encode(texts, show_progress=False)))
            else:
                vectors, tokens = embedder.encode_with_tokens(texts, show_progress=False)
                cache.update(zip(keys, vectors))
                kept = [(k, t) for k, t in zip(keys, tokens) if k in needs_tokens]
                if codec is not None:
                    token_cache.update(zip([k for k, _ in kept], encode_tokens([t for _, t in kept], codec)))
                else:
                    token_cache.update(kept)
                    waiting.extend(k for k, _ in kept)
                    if sum(len(token_cache[k].ids) for k in waiting) >= token_codec.MAX_TRAINING_TOKENS:
                        codec = TokenCodec.train(np.concatenate([token_cache[k].vectors for k in waiting]))
                        token_cache.update(zip(waiting, encode_tokens([token_cache[k] for k in waiting], codec)))
                        waiting = []
            if bar is not None:
                bar.update(len(part))
    return codec


def encode_tokens(rows: Sequence[TokenVectors], codec: TokenCodec) -> list[TokenVectors]:
    """`rows` (float16 token vectors) as codes of `codec`, in one pass."""
    if not rows:
        return []
    codes = codec.encode(np.concatenate([t.vectors for t in rows]))
    at = np.concatenate([[0], np.cumsum([len(t.ids) for t in rows])])
    return [TokenVectors(t.ids, codes[at[i] : at[i + 1]]) for i, t in enumerate(rows)]


def stack_tokens(rows: list[TokenVectors], headings: list[int], codec: TokenCodec | None = None) -> SentenceTokens:
    """Token rows (the sentences', then their headings'), and each sentence's heading row.

    Each row's vectors come as float16 vectors or, reused from a build that had a codebook, as
    codes of `codec`. With a codebook (the live build's, or one trained now on these vectors
    when there are enough of them), every row is stored as codes; otherwise as float16.
    """
    heading_rows = np.array(headings, dtype=np.int32)
    if not rows:
        return SentenceTokens(np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros((0, 0), np.float16), heading_rows)
    lengths = [len(t.ids) for t in rows]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    ids = np.concatenate([t.ids for t in rows]).astype(np.int32)
    if codec is None and offsets[-1] >= token_codec.MIN_TRAINING_TOKENS:
        # No codebook yet: every row is float16, so train on them all.
        codec = TokenCodec.train(np.concatenate([t.vectors for t in rows]))
    if codec is None:
        return SentenceTokens(offsets, ids, np.concatenate([t.vectors for t in rows], dtype=np.float16), heading_rows)
    # Rows reused as codes keep them; float16 rows (new, or from a build without a codebook) are
    # encoded together, in one pass.
    codes = np.empty((int(offsets[-1]), codec.pieces), dtype=np.uint8)
    fresh = [i for i, t in enumerate(rows) if t.vectors.dtype != np.uint8]
    if fresh:
        encoded = codec.encode(np.concatenate([rows[i].vectors for i in fresh]))
        at = np.concatenate([[0], np.cumsum([lengths[i] for i in fresh])])
        for n, i in enumerate(fresh):
            codes[offsets[i] : offsets[i + 1]] = encoded[at[n] : at[n + 1]]
    for i, t in enumerate(rows):
        if t.vectors.dtype == np.uint8:
            codes[offsets[i] : offsets[i + 1]] = t.vectors
    return SentenceTokens(offsets, ids, None, heading_rows, codes, codec)
