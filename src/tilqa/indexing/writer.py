"""Writing one build as documents stream in: each document is chunked and written at once; its
texts are embedded, a chunk of texts at a time, only when no earlier build embedded them; records,
vectors and token vectors go straight to files. What the build holds in memory grows by tens of
bytes a record (the numbers that are written at the end: offsets, spans, terms), not by vectors,
so a corpus of any size builds in bounded memory. `finish` then makes the search indexes, BM25
and the token statistics from the files, and returns what the manifest records.

Token vectors go to one new segment of this build; rows an earlier build already holds stay in
its segments, which this build shares (hard links) rather than writes again. A shared segment
mostly holding rows no longer used is copied into the new segment instead, so stale rows do not
pile up.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .. import token_codec
from ..chunking import chunk_document
from ..config import Settings
from ..documents import Document
from ..encoders import Encoder, TokenVectors, text_key
from ..index import files as f
from ..index.records import PASSAGE_FIELDS, SENTENCE_FIELDS, document_to_json, own_heading, passage_embedding_text
from ..index.vectors import make_vector_index
from ..sentence_features import antecedents, typicality
from ..token_codec import TokenCodec
from ..token_scoring import token_idf
from .columns import Terms
from .previous import PreviousBuild
from .token_rows import NEW, TokenSpans, document_frequency, encode_tokens, share_file

log = logging.getLogger(__name__)

# Texts per encoder call (an encoder may ask for more with `build_chunk`, as a Ray actor pool,
# which takes seconds to start, does).
EMBED_CHUNK = 2048
SHARED_SEGMENT_MIN_LIVE = 0.5  # a shared segment less used than this is copied, not shared


@dataclass
class _Pending:
    """Documents chunked but not yet embedded and written."""

    documents: list[tuple[int, list[Any]]] = field(default_factory=list)  # (number, passages)
    texts: int = 0


class BuildWriter:
    """Writes a build into `folder` (a new, empty folder) from documents given to `add`."""

    def __init__(self, folder: Path, settings: Settings, embedder: Encoder, previous: PreviousBuild) -> None:
        self.folder = folder
        self.settings = settings
        self.embedder = embedder
        self.previous = previous
        self.model = settings.model
        self.with_tokens = settings.token_scoring
        self.chunk = max(1, int(getattr(embedder, "build_chunk", EMBED_CHUNK)))
        self._documents = open(folder / f.DOCUMENTS, "wb")
        self._lines = [0]
        self.sources: list[str] = []
        self._sections: dict[str, int] = {}
        self._passages = f.GrowingArray(folder / f.PASSAGES, PASSAGE_FIELDS)
        self._sentences = f.GrowingArray(folder / f.SENTENCES, SENTENCE_FIELDS)
        self._passage_sentences = f.GrowingArray(folder / f.PASSAGE_SENTENCES, np.int64)
        self._sentence_counts: list[int] = []
        self._vectors = [f.GrowingArray(folder / name, np.float32) for name in (f.PASSAGE_VECTORS, f.SENTENCE_VECTORS)]
        self._keys = [f.GrowingArray(folder / name, "S64") for name in (f.PASSAGE_KEYS, f.SENTENCE_KEYS)]
        self._antecedents = f.GrowingArray(folder / f.ANTECEDENTS, np.int64)
        self._typicality = f.GrowingArray(folder / f.TYPICALITY, np.float64)
        vocabulary: dict[str, int] = {}
        self._passage_terms, self._sentence_terms = Terms(vocabulary), Terms(vocabulary)
        self._pending = _Pending()
        self.passages = self.sentences = 0
        self.embedded = self.reused = 0
        self.dimension: int | None = None
        # Token vectors: spans of sentence rows and heading rows, each heading text once.
        self.codec: TokenCodec | None = previous.codec if self.with_tokens else None
        self._sentence_spans, self._heading_spans = TokenSpans(), TokenSpans()
        self._heading_rows: dict[str, int] = {}
        self._heading_keys: list[str] = []
        self._sentence_heading: list[np.ndarray] = []
        self._waiting: list[tuple[TokenSpans, int, TokenVectors]] = []  # new rows not written yet
        self._segment_ids: f.GrowingArray | None = None
        self._segment_values: f.GrowingArray | None = None

    # -- adding documents ------------------------------------------------------------------

    def add(self, document: Document) -> None:
        """Chunk `document` and write it (its texts embedded with the next chunk)."""
        number = len(self.sources)
        self.sources.append(document.source)
        self._documents.write(document_to_json(document).encode("utf-8") + b"\n")
        self._lines.append(self._documents.tell())
        passages = list(chunk_document(
            document, self.settings.passage_sentences, self.settings.passage_overlap, self.settings.join_short_paragraphs
        ))
        self._pending.documents.append((number, passages))
        self._pending.texts += len(passages) + sum(len(p.sentences) for p in passages)
        if self._pending.texts >= self.chunk:
            self._flush()

    def _section(self, section: str) -> int:
        return self._sections.setdefault(section, len(self._sections))

    def _flush(self) -> None:
        pending, self._pending = self._pending, _Pending()
        if not pending.documents:
            return
        passage_rows, sentence_rows, members, counts = [], [], [], []
        passage_texts: list[str] = []
        passage_lexical: list[str] = []
        sentence_texts: list[str] = []
        sentence_sections: list[str] = []
        documents: list[tuple[int, int]] = []  # each document's first sentence row (in this flush) and count
        for number, passages in pending.documents:
            first = self.sentences + len(sentence_texts)
            local: dict[int, int] = {}  # sentence start -> row
            for p in passages:
                rows = []
                for s in p.sentences:
                    if s.start not in local:
                        local[s.start] = first + len(local)
                        sentence_rows.append((number, s.start, s.end, self._section(p.section)))
                        sentence_texts.append(s.text)
                        sentence_sections.append(p.section)
                    rows.append(local[s.start])
                passage_rows.append((number, p.start, p.end, p.page or 0, self._section(p.section)))
                passage_texts.append(passage_embedding_text(p.section, p.text))
                passage_lexical.append(f"{p.section}\n{p.text}")
                members.extend(rows)
                counts.append(len(rows))
            documents.append((first - self.sentences, len(local)))
            self._antecedents.append(antecedents(
                [[local[s.start] for s in p.sentences] for p in passages], sentence_texts[first - self.sentences :], first
            ))
        self._passages.append(np.array(passage_rows, dtype=PASSAGE_FIELDS))
        self._sentences.append(np.array(sentence_rows, dtype=SENTENCE_FIELDS))
        self._passage_sentences.append(np.array(members, dtype=np.int64))
        self._sentence_counts.extend(counts)
        self._passage_terms.add(passage_lexical)
        self._sentence_terms.add([f"{s}\n{t}" for s, t in zip(sentence_sections, sentence_texts)])
        headings = [own_heading(s) for s in sentence_sections] if self.with_tokens else []
        vectors = self._embed(passage_texts, sentence_texts, headings)
        passage_vectors, sentence_vectors = vectors[: len(passage_texts)], vectors[len(passage_texts) :]
        self._vectors[0].append(passage_vectors)
        self._vectors[1].append(sentence_vectors)
        self._typicality.append(
            np.concatenate([typicality(sentence_vectors[a : a + n]) for a, n in documents]) if documents else np.zeros(0)
        )
        self.passages += len(passage_texts)
        self.sentences += len(sentence_texts)

    # -- embedding -------------------------------------------------------------------------

    def _embed(self, passage_texts: list[str], sentence_texts: list[str], headings: list[str]) -> np.ndarray:
        """The vectors of the passages, then the sentences, from the live build's or embedded now;
        and the token rows of the sentences and of headings not seen before."""
        model = self.model
        texts = passage_texts + sentence_texts
        keys = [text_key(model, t) for t in texts]
        sentence_keys = keys[len(passage_texts) :]
        self._keys[0].append(np.array(keys[: len(passage_texts)], dtype="S64"))
        self._keys[1].append(np.array(sentence_keys, dtype="S64"))
        new_headings = list(dict.fromkeys(h for h in headings if h and h not in self._heading_rows))
        heading_keys = [text_key(model, h) for h in new_headings]
        vector_rows = self.previous.vector_rows(keys)
        token_keys = sentence_keys + heading_keys if self.with_tokens else []
        token_rows = self.previous.token_rows(token_keys) if self.with_tokens else np.zeros(0, np.int64)
        wanted: dict[str, str] = {}
        for k, t, row in zip(keys, texts, vector_rows):
            if row < 0:
                wanted[k] = t
        needs_tokens = set()
        for k, t, row in zip(token_keys, sentence_texts + new_headings, token_rows):
            if row < 0:
                wanted[k] = t
                needs_tokens.add(k)
        fresh_vectors, fresh_tokens = self._encode(wanted, needs_tokens)
        self.embedded += len(wanted)
        self.reused += len(set(keys) | set(token_keys)) - len(wanted)
        vectors = np.stack(
            [fresh_vectors[k] if k in fresh_vectors else self.previous.vector(int(r)) for k, r in zip(keys, vector_rows)]
        ).astype(np.float32) if keys else np.zeros((0, self.dimension or 0), np.float32)
        if self.dimension is None and len(vectors):
            self.dimension = vectors.shape[1]
        if self.with_tokens:
            for k, row in zip(token_keys[: len(sentence_keys)], token_rows):
                self._token_row(self._sentence_spans, k, int(row), fresh_tokens)
            for h, k, row in zip(new_headings, heading_keys, token_rows[len(sentence_keys) :]):
                self._heading_rows[h] = self._token_row(self._heading_spans, k, int(row), fresh_tokens)
                self._heading_keys.append(k)
            self._sentence_heading.append(np.array([self._heading_rows.get(h, -1) if h else -1 for h in headings], dtype=np.int32))
            self._write_waiting()
        return vectors

    def _encode(self, wanted: dict[str, str], needs_tokens: set[str]) -> tuple[dict[str, np.ndarray], dict[str, TokenVectors]]:
        """Embed `wanted` ({key: text}), `chunk` texts an encoder call; keep token vectors for the
        keys in `needs_tokens`, as codes as soon as there is a codebook (trained here once
        `MAX_TRAINING_TOKENS` token vectors wait for one)."""
        vectors: dict[str, np.ndarray] = {}
        tokens: dict[str, TokenVectors] = {}
        keys, texts = list(wanted), list(wanted.values())
        for first in range(0, len(keys), self.chunk):
            part, part_texts = keys[first : first + self.chunk], texts[first : first + self.chunk]
            if not needs_tokens:
                vectors.update(zip(part, self.embedder.encode(part_texts, show_progress=False)))
                continue
            part_vectors, part_tokens = self.embedder.encode_with_tokens(part_texts, show_progress=False)
            vectors.update(zip(part, part_vectors))
            tokens.update((k, t) for k, t in zip(part, part_tokens) if k in needs_tokens)
            if self.codec is None:
                waiting = [t for _, _, t in self._waiting] + list(tokens.values())
                if sum(len(t.ids) for t in waiting) >= token_codec.MAX_TRAINING_TOKENS:
                    self.codec = TokenCodec.train(np.concatenate([t.vectors for t in waiting]))
            if self.codec is not None:
                tokens = {k: self._coded(t) for k, t in tokens.items()}
        return vectors, tokens

    def _coded(self, tokens: TokenVectors) -> TokenVectors:
        if tokens.vectors.dtype == np.uint8:
            return tokens
        assert self.codec is not None
        return TokenVectors(tokens.ids, self.codec.encode(tokens.vectors))


    def _token_row(self, spans: TokenSpans, key: str, previous_row: int, fresh: dict[str, TokenVectors]) -> int:
        """Add a token row: shared from the live build's segments, or this build's own."""
        if key not in fresh:
            segment, start, end = self.previous.token_spans[previous_row].tolist()
            return spans.append(segment, start, end)
        row = spans.append(NEW, 0, 0)
        self._waiting.append((spans, row, fresh[key]))
        return row

    def _write_waiting(self) -> None:
        """Write the new token rows, once there is a codebook (until then they wait, float16)."""
        if self.codec is not None and self._waiting:
            waiting, self._waiting = self._waiting, []
            self._write_tokens(waiting)

    def _write_tokens(self, rows: list[tuple[TokenSpans, int, TokenVectors]]) -> None:
        """Write rows into this build's segment: as codes when there is a codebook, else float16."""
        if not rows:
            return
        ids = np.concatenate([t.ids for _, _, t in rows]).astype(np.int32)
        if self.codec is not None:  # rows may come coded already, or as float16: code those in one pass
            loose = [i for i, (_, _, t) in enumerate(rows) if t.vectors.dtype != np.uint8]
            coded = encode_tokens([rows[i][2] for i in loose], self.codec)
            rows = list(rows)
            for i, t in zip(loose, coded):
                rows[i] = (rows[i][0], rows[i][1], t)
        values = np.concatenate([t.vectors for _, _, t in rows])
        if self._segment_ids is None:
            (self.folder / f.TOKEN_SEGMENTS).mkdir(exist_ok=True)
            ids_path, values_path = f.segment_files(self.folder, self.folder.name.removeprefix("tmp-"))
            self._segment_ids = f.GrowingArray(ids_path, np.int32)
            self._segment_values = f.GrowingArray(values_path, values.dtype)
        assert self._segment_values is not None
        start = self._segment_ids.rows
        for spans, row, tokens in rows:
            spans.array[row] = (NEW, start, start + len(tokens.ids))
            start += len(tokens.ids)
        self._segment_ids.append(ids)
        self._segment_values.append(values)

    # -- finishing -------------------------------------------------------------------------

    def finish(self) -> dict[str, Any]:
        """Write what remains, the search indexes, BM25 and token statistics; returns the
        manifest's fields for them. The folder then holds a whole build."""
        self._flush()
        self._documents.close()
        np.save(self.folder / f.DOCUMENT_LINES, np.array(self._lines, dtype=np.int64))
        (self.folder / f.SOURCES).write_text(json.dumps(self.sources, ensure_ascii=False), "utf-8")
        (self.folder / f.SECTIONS).write_text(json.dumps(list(self._sections), ensure_ascii=False), "utf-8")
        dimension = self.dimension or self.embedder.dimension
        for array in (self._passages, self._sentences, self._passage_sentences, self._antecedents, self._typicality, *self._keys):
            array.close()
        for array in self._vectors:
            array.close((dimension,))
        np.save(self.folder / f.PASSAGE_SENTENCE_OFFSETS, np.concatenate([[0], np.cumsum(self._sentence_counts, dtype=np.int64)]))
        log.info("%d passages and %d sentences written; search indexes next", self.passages, self.sentences)
        described: dict[str, Any] = {"dimension": dimension, "vector_index": self._write_search(dimension)}
        log.info("BM25 indexes")
        self._passage_terms.index().save(self.folder / f.PASSAGE_LEXICAL)
        self._sentence_terms.index().save(self.folder / f.SENTENCE_LEXICAL)
        log.info("token statistics")
        if self.with_tokens:
            described["token_segments"] = self._finish_tokens()
        return described

    def _write_search(self, dimension: int) -> dict[str, Any]:
        import faiss

        described = {}
        for name, vectors_file, search_file in (
            ("passages", f.PASSAGE_VECTORS, f.PASSAGE_SEARCH),
            ("sentences", f.SENTENCE_VECTORS, f.SENTENCE_SEARCH),
        ):
            vectors = f.RowReader(self.folder / vectors_file)
            try:
                search = make_vector_index(vectors)
            finally:
                vectors.close()
            if name == "passages" or search.info.kind != "flat":
                faiss.write_index(search.index, str(self.folder / search_file))
            described[name] = search.info.to_dict()
            del search
        return described

    def _finish_tokens(self) -> list[dict[str, str]]:
        """Write the last token rows, share or copy the earlier builds' segments, and the token
        files; returns the manifest's list of segments."""
        used = [int(s) for s in np.unique(self._all_spans()["segment"]) if s >= 0]
        waiting, self._waiting = self._waiting, []
        if self.codec is None:  # a codebook once the index holds enough token vectors, old and new
            old = [np.asarray(self.previous.segment_arrays(s)[1]) for s in used]
            if waiting and sum(len(t.ids) for _, _, t in waiting) + sum(len(v) for v in old) >= token_codec.MIN_TRAINING_TOKENS:
                self.codec = TokenCodec.train(np.concatenate([t.vectors for _, _, t in waiting] + old))
        self._write_tokens(waiting)
        kind = "codes" if self.codec is not None else "float16"
        shared = [s for s in used if self._share(s, kind)]
        for s in shared:
            for source in f.segment_files(self.previous.folder, self.previous.segments[s]):  # type: ignore[arg-type]
                (self.folder / f.TOKEN_SEGMENTS).mkdir(exist_ok=True)
                share_file(source, self.folder / f.TOKEN_SEGMENTS / source.name)
        names = [self.previous.segments[s] for s in shared]
        if self._segment_ids is not None:
            assert self._segment_values is not None
            self._segment_ids.close()
            self._segment_values.close((self.codec.pieces,) if self.codec is not None else (self.dimension or 0,))
            names.append(self.folder.name.removeprefix("tmp-"))
        spans = self._all_spans()
        renumbered = spans["segment"].copy()  # earlier builds' segment numbers, and NEW, to this build's
        for number, s in enumerate(shared):
            renumbered[spans["segment"] == s] = number
        renumbered[spans["segment"] == NEW] = len(names) - 1
        spans["segment"] = renumbered
        np.save(self.folder / f.TOKEN_SPANS, spans)
        np.save(self.folder / f.TOKEN_KEYS, np.concatenate([
            np.load(self.folder / f.SENTENCE_KEYS), np.array(self._heading_keys, dtype="S64"),
        ]))
        heading = np.concatenate(self._sentence_heading) if self._sentence_heading else np.zeros(0, np.int32)
        np.save(self.folder / f.TOKEN_HEADINGS, np.where(heading >= 0, heading + self.sentences, -1).astype(np.int32))
        if self.codec is not None:
            np.save(self.folder / f.TOKEN_CODEBOOK, self.codec.centroids)
        np.save(self.folder / f.TOKEN_IDF, token_idf(document_frequency(self.folder, spans[: self.sentences], names), self.sentences))
        return [{"name": n, "kind": kind} for n in names]

    def _all_spans(self) -> np.ndarray:
        """The token spans of the sentences, then of the headings (a copy)."""
        return np.concatenate([self._sentence_spans.view(), self._heading_spans.view()])

    def _share(self, segment: int, kind: str) -> bool:
        """Whether an earlier build's segment is shared as it is: when of `kind` and at least
        `SHARED_SEGMENT_MIN_LIVE` in use. Otherwise the rows in use are copied into this build's."""
        ids, values = self.previous.segment_arrays(segment)
        rows = [(spans, np.flatnonzero(spans.view()["segment"] == segment)) for spans in (self._sentence_spans, self._heading_spans)]
        live = sum(int((spans.view()["end"][r] - spans.view()["start"][r]).sum()) for spans, r in rows)
        if self.previous.segment_kinds[segment] == kind and live >= SHARED_SEGMENT_MIN_LIVE * len(ids):
            return True
        log.info("copying %d of %d token vectors out of segment %s", live, len(ids), self.previous.segments[segment])
        for spans, found in rows:
            starts, ends = spans.view()["start"][found].tolist(), spans.view()["end"][found].tolist()
            self._write_tokens([
                (spans, int(row), TokenVectors(np.asarray(ids[a:b]), np.asarray(values[a:b])))
                for row, a, b in zip(found.tolist(), starts, ends)
            ])
        return False

    def close(self) -> None:
        """Close files after a failure (the folder is then removed by the caller)."""
        self._documents.close()
