"""The names of a build's files, writing arrays whose length is known only at the end, and
reading the rows of one without mapping it.

Layout and meaning: docs/index-format.md.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path
from typing import BinaryIO

import numpy as np

MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"  # one document a line, by document number
DOCUMENT_LINES = "document_lines.npy"  # int64: where each line of documents.jsonl starts, and its end
SOURCES = "sources.json"  # the documents' sources, by document number
SECTIONS = "sections.json"  # the distinct heading paths records refer to by number
PASSAGES = "passages.npy"  # records.PASSAGE_FIELDS
SENTENCES = "sentences.npy"  # records.SENTENCE_FIELDS
PASSAGE_SENTENCE_OFFSETS = "passage_sentence_offsets.npy"  # int64, passages + 1
PASSAGE_SENTENCES = "passage_sentences.npy"  # int64 sentence rows, passage after passage
PASSAGE_VECTORS = "passage_vectors.npy"  # float32
SENTENCE_VECTORS = "sentence_vectors.npy"  # float32
PASSAGE_KEYS = "passage_keys.npy"  # S64: the text_key of each passage vector (the next build's cache)
SENTENCE_KEYS = "sentence_keys.npy"  # S64: the text_key of each sentence vector
PASSAGE_SEARCH = "passages.faiss"
SENTENCE_SEARCH = "sentences.faiss"  # only when approximate
PASSAGE_LEXICAL = "passages.bm25"  # folders of bm25s
SENTENCE_LEXICAL = "sentences.bm25"
ANTECEDENTS = "sentence_antecedents.npy"  # int64 per sentence
TYPICALITY = "sentence_typicality.npy"  # float64 per sentence
TOKEN_SPANS = "token_spans.npy"  # token_scoring.TOKEN_SPAN per token row
TOKEN_KEYS = "token_keys.npy"  # S64: the text_key of each token row
TOKEN_HEADINGS = "token_headings.npy"  # int32 per sentence
TOKEN_IDF = "token_idf.npy"  # float64 per token id
TOKEN_CODEBOOK = "token_codebook.npy"  # float32 (pieces, 256, dimension / pieces), when coded
TOKEN_SEGMENTS = "tokens"  # folder: <segment>.ids.npy (int32), <segment>.values.npy


def segment_files(folder: Path, segment: str) -> tuple[Path, Path]:
    """The ids file and the values file of token segment `segment` in a build folder."""
    return folder / TOKEN_SEGMENTS / f"{segment}.ids.npy", folder / TOKEN_SEGMENTS / f"{segment}.values.npy"


def _header_bytes(dtype: np.dtype) -> int:
    """Room for the .npy header of an array of `dtype` of any shape we write (up to three
    dimensions of 16 digits), a multiple of 64 as the format asks."""
    widest = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (10**16,) * 3}
    return -(-(len(repr(widest)) + 12) // 64) * 64


class GrowingArray:
    """A .npy file written a block of rows at a time, its header (which holds the row count)
    written last: memory holds one block, whatever the file's size."""

    def __init__(self, path: Path, dtype: np.dtype | str, row_shape: tuple[int, ...] | None = None) -> None:
        """`row_shape` (default: that of the first block) is the shape of one row."""
        self.path = path
        self.dtype = np.dtype(dtype)
        self.row_shape = row_shape
        self.rows = 0
        self._header = _header_bytes(self.dtype)
        self._file: BinaryIO = open(path, "wb")
        self._file.write(b"\0" * self._header)

    def append(self, block: np.ndarray) -> None:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        if self.row_shape is None:
            self.row_shape = block.shape[1:]
        if block.shape[1:] != self.row_shape:
            raise ValueError(f"{self.path.name}: rows of shape {block.shape[1:]}, expected {self.row_shape}")
        self._file.write(block.tobytes())
        self.rows += len(block)

    def close(self, empty_row_shape: tuple[int, ...] = ()) -> None:
        """Write the header; the file is then an ordinary .npy file. `empty_row_shape` is the
        row shape when no block came."""
        row_shape = self.row_shape if self.row_shape is not None else empty_row_shape
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.rows, *row_shape)}
        text = repr(header).encode("latin1")
        prefix = b"\x93NUMPY\x01\x00"
        length = self._header - len(prefix) - 2
        body = text.ljust(length - 1, b" ") + b"\n"
        assert len(body) == length and ast.literal_eval(text.decode("latin1")) == header
        self._file.seek(0)
        self._file.write(prefix + length.to_bytes(2, "little") + body)
        self._file.close()


class RowReader:
    """The rows of a two-dimensional .npy file, read with ordinary reads when asked for: a slice
    (`reader[a:b]`) or rows by number (`reader[rows]`). A build reads its vector files once or
    twice from end to end; memory-mapped, every page read would count as the process's own
    memory (its resident set) until the file is closed, which at a million vectors is gigabytes."""

    def __init__(self, path: Path) -> None:
        probe = np.load(path, mmap_mode="r")
        if probe.ndim != 2:
            raise ValueError(f"{path.name}: {probe.ndim} dimensions, expected 2")
        self.shape: tuple[int, int] = (int(probe.shape[0]), int(probe.shape[1]))
        self.dtype = probe.dtype
        self._offset = int(probe.offset)
        del probe
        self._row_bytes = self.dtype.itemsize * self.shape[1]
        self._file = open(path, "rb")

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: slice | np.ndarray) -> np.ndarray:
        if isinstance(key, slice):
            start, stop, step = key.indices(len(self))
            if step != 1:
                raise ValueError("RowReader reads slices of step 1")
            return self._read(start, max(0, stop - start))
        rows = np.asarray(key, dtype=np.int64).reshape(-1)
        out = np.empty((len(rows), self.shape[1]), dtype=self.dtype)
        for i, row in enumerate(rows.tolist()):
            if not 0 <= row < len(self):
                raise IndexError(f"row {row} of {len(self)}")
            out[i] = self._read(row, 1)[0]
        return out

    def _read(self, start: int, count: int) -> np.ndarray:
        size = count * self._row_bytes
        data = os.pread(self._file.fileno(), size, self._offset + start * self._row_bytes)
        if len(data) != size:
            raise OSError(f"{self._file.name}: short read at row {start}")
        return np.frombuffer(data, dtype=self.dtype).reshape(count, self.shape[1])

    def close(self) -> None:
        self._file.close()
