"""What tests share besides fixtures: writing a small corpus, a free port, a document's text, and
a small deterministic embedding model for plumbing tests (`from helpers import ...`)."""

from __future__ import annotations

import hashlib
import re
import socket
from pathlib import Path
from typing import Sequence

import numpy as np

import tilqa
from tilqa.encoders import TokenVectors


def free_port() -> int:
    """A loopback port that nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small corpus: {relative path: text or raw bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


SMALL_CORPUS = {
    "trials.txt": (
        "Clinical Trials\n"
        "The Phase 2 study enrolled patients with advanced melanoma. It reported durable responses.\n"
        "\n"
        "Manufacturing\n"
        "Cells are expanded in a closed system over three weeks. The product is then frozen.\n"
    ),
    "notes/partners.md": (
        "# Partners\n\n"
        "The company licensed a gene-editing technology from Cellectis. The license covers PD-1 knockouts.\n"
    ),
}


def document_text(settings_or_assistant: tilqa.Settings | tilqa.Assistant, source: str) -> str:
    """The text a citation's or passage's offsets index into, for the document `source`: the
    file's text as tilqa's extractor reads it (for a `.txt` file, the file's text itself), read
    from the file, not from the index.

    Every offset round-trip in the tests reads it here, the one place that says what offsets
    index into.
    """
    from tilqa.formats import extract

    settings = getattr(settings_or_assistant, "settings", settings_or_assistant)
    return extract(settings.corpus_dir / source).text


class HashEncoder:
    """A deterministic stand-in for the embedding model, for plumbing tests (no torch, no model).

    Each word (`\\w+`, lower-cased) gets a fixed random unit vector seeded by a hash of it; a
    text's token vectors are its words' vectors and its sentence vector their normalised mean, so
    texts sharing words are similar and texts sharing none are nearly orthogonal.
    """

    model_name = "test-hash-encoder-64"
    WORD = re.compile(r"\w+")
    # Token ids stay below 2**20: TokenScorer sizes arrays by the largest id, as a real
    # tokenizer's vocabulary (30,522 pieces for MiniLM) is small.
    VOCABULARY = 2**20

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self._words: dict[int, str] = {}
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def dimension(self) -> int:
        return self._dimension

    def _word(self, word: str) -> tuple[int, np.ndarray]:
        word = word.lower()
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        token_id = int.from_bytes(digest[:4], "little") % self.VOCABULARY
        self._words.setdefault(token_id, word)
        if word not in self._vectors:
            vector = np.random.default_rng(int.from_bytes(digest[4:12], "little")).standard_normal(self._dimension)
            self._vectors[word] = vector / np.linalg.norm(vector)
        return token_id, self._vectors[word]

    def _text(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        words = [self._word(w) for w in self.WORD.findall(text)]
        if not words:
            empty = TokenVectors(np.zeros(0, np.int32), np.zeros((0, self._dimension), np.float16))
            return np.zeros(self._dimension, np.float32), empty
        ids = np.array([i for i, _ in words], dtype=np.int32)
        vectors = np.stack([v for _, v in words])
        mean = vectors.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32), TokenVectors(ids, vectors.astype(np.float16))

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        return self.encode_with_tokens(texts, show_progress)[0]

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        if not texts:
            return np.zeros((0, self._dimension), np.float32), []
        encoded = [self._text(t) for t in texts]
        return np.stack([v for v, _ in encoded]), [t for _, t in encoded]

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self._words[int(i)] for i in ids]
