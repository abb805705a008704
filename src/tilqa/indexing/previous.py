"""What a rebuild reuses from the live build: documents' extracted text (by content hash), why
files could not be read, vectors and token rows (by text_key), the token codebook, and the
token segments it can share rather than write again."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..documents import Document
from ..errors import IndexCorruptError
from ..formats import read_again
from ..index import files as f
from ..index.manifest import FORMAT
from ..index.records import IndexData, document_from_json
from ..index.store import live_build_dir
from ..token_codec import TokenCodec

log = logging.getLogger(__name__)


class KeyTable:
    """text_keys (S64) looked up to their row, many at a time (a sorted copy, binary search)."""

    def __init__(self, keys: np.ndarray) -> None:
        self._order = np.argsort(keys, kind="stable")
        self._sorted = keys[self._order]

    def rows(self, keys: Sequence[str]) -> np.ndarray:
        """The row of each key, -1 where absent."""
        wanted = np.array(list(keys), dtype="S64")
        if len(self._sorted) == 0 or len(wanted) == 0:
            return np.full(len(wanted), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(self._sorted, wanted), len(self._sorted) - 1)
        found = self._sorted[at] == wanted
        return np.where(found, self._order[at], -1).astype(np.int64)


class PreviousBuild:
    """The live build, as far as a rebuild can use it; empty when there is none, or when it was
    made in another format or with another model.

    `loaded` is the same build as `index.load_index` opened it, when the caller has it: its
    manifest and documents are then not read again.
    """

    def __init__(self, folder: Path | None = None, model: str = "", loaded: IndexData | None = None) -> None:
        self.folder = folder
        self.manifest: dict[str, Any] = {}
        self._documents: dict[str, int] = {}  # sha256 -> line of documents.jsonl
        self._lines: np.ndarray = np.zeros(0, np.int64)
        self._loaded = loaded.documents if loaded is not None else None
        self.skipped: dict[str, str] = {}  # sha256 -> reason
        self.vectors: tuple[np.ndarray, ...] = ()  # passage rows, then sentence rows
        self._vector_keys = KeyTable(np.zeros(0, "S64"))
        self.token_spans = np.zeros(0)
        self._token_keys = KeyTable(np.zeros(0, "S64"))
        self.segments: list[str] = []
        self.segment_kinds: list[str] = []
        self.codec: TokenCodec | None = None
        if folder is None:
            return
        try:
            self.manifest = loaded.manifest if loaded is not None else json.loads((folder / f.MANIFEST).read_text("utf-8"))
        except (OSError, ValueError) as exc:
            log.info("nothing reusable in %s (%s)", folder, exc)
            return
        if not isinstance(self.manifest, dict) or self.manifest.get("format") != FORMAT:
            return
        self._read_skipped()
        try:
            self._read_documents()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.info("no reusable extracted text in %s (%s)", folder, exc)
        if self.manifest.get("model") != model:
            return
        try:
            self._read_vectors()
        except (OSError, ValueError) as exc:
            log.info("no reusable embeddings in %s (%s)", folder, exc)
        if self.manifest.get("token_vectors"):
            try:
                self._read_tokens()
            except (OSError, ValueError, KeyError, TypeError) as exc:
                log.info("no reusable token vectors in %s (%s)", folder, exc)

    # -- documents -------------------------------------------------------------------------

    def _read_skipped(self) -> None:
        try:
            self.skipped = {
                e["sha256"]: e["reason"] for e in self.manifest.get("skipped", {}).values()
                if not read_again(e["reason"])  # once the library is installed, it reads them
            }
        except (AttributeError, KeyError, TypeError):
            self.skipped = {}

    def _read_documents(self) -> None:
        assert self.folder is not None
        files = self.manifest["files"]
        if self._loaded is not None:
            sources = self._loaded.sources
        else:
            sources = json.loads((self.folder / f.SOURCES).read_text("utf-8"))
            self._lines = np.load(self.folder / f.DOCUMENT_LINES)
        self._documents = {files[source]: number for number, source in enumerate(sources)}

    def document(self, sha256: str, source: str) -> Document | None:
        """The extracted document of content `sha256`, under the name `source`, or None."""
        number = self._documents.get(sha256)
        if number is None or self.folder is None:
            return None
        document = self._loaded.read(number) if self._loaded is not None else self._read_document(number)
        if document.sha256 != sha256:
            return None
        return Document(
            source=source, text=document.text, sha256=sha256, format=document.format,
            headings=document.headings, pages=document.pages,
        )

    def _read_document(self, number: int) -> Document:
        assert self.folder is not None
        start, end = int(self._lines[number]), int(self._lines[number + 1])
        with open(self.folder / f.DOCUMENTS, "rb") as handle:
            handle.seek(start)
            return document_from_json(handle.read(end - start))

    # -- vectors ---------------------------------------------------------------------------

    def _read_vectors(self) -> None:
        assert self.folder is not None
        keys = np.concatenate([np.load(self.folder / name) for name in (f.PASSAGE_KEYS, f.SENTENCE_KEYS)])
        vectors = tuple(np.load(self.folder / name, mmap_mode="r") for name in (f.PASSAGE_VECTORS, f.SENTENCE_VECTORS))
        if sum(len(v) for v in vectors) != len(keys):
            raise ValueError(f"{len(keys)} keys for {sum(len(v) for v in vectors)} vectors")
        self.vectors = vectors
        self._vector_keys = KeyTable(keys)

    def vector_rows(self, keys: Sequence[str]) -> np.ndarray:
        """Each key's row among the live build's vectors (passages', then sentences'), or -1."""
        return self._vector_keys.rows(keys)

    def vector(self, row: int) -> np.ndarray:
        passages = len(self.vectors[0])
        return self.vectors[0][row] if row < passages else self.vectors[1][row - passages]

    # -- token vectors ---------------------------------------------------------------------

    def _read_tokens(self) -> None:
        assert self.folder is not None
        described = self.manifest["token_segments"]
        spans = np.load(self.folder / f.TOKEN_SPANS)
        keys = np.load(self.folder / f.TOKEN_KEYS)
        if len(spans) != len(keys):
            raise ValueError(f"{len(keys)} token keys for {len(spans)} token rows")
        for segment in described:
            for path in f.segment_files(self.folder, segment["name"]):
                if not path.is_file():
                    raise ValueError(f"{path.name} is missing")
        codec = None
        if (self.folder / f.TOKEN_CODEBOOK).is_file():
            codec = TokenCodec(np.load(self.folder / f.TOKEN_CODEBOOK))
        self.segments = [s["name"] for s in described]
        self.segment_kinds = [s["kind"] for s in described]
        self.token_spans = spans
        self._token_keys = KeyTable(keys)
        self.codec = codec

    def token_rows(self, keys: Sequence[str]) -> np.ndarray:
        """Each key's token row in the live build, or -1."""
        return self._token_keys.rows(keys)

    def segment_arrays(self, segment: int) -> tuple[np.ndarray, np.ndarray]:
        """Segment `segment`'s ids and values, memory-mapped."""
        assert self.folder is not None
        ids, values = f.segment_files(self.folder, self.segments[segment])
        return np.load(ids, mmap_mode="r"), np.load(values, mmap_mode="r")


def previous_build(index_dir: Path, model: str, loaded: IndexData | None = None) -> PreviousBuild:
    """The live build of `index_dir`, for reuse by a build with `model`; `loaded` is that build
    as already opened (its manifest and documents are then not read again), or None."""
    folder = live_build_dir(index_dir)
    if loaded is not None and (folder is None or folder.name != loaded.build_id):
        loaded = None  # another build went live since
    try:
        return PreviousBuild(folder, model, loaded)
    except IndexCorruptError:
        return PreviousBuild()
