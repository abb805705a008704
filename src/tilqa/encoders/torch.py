"""The sentence-transformers (torch) encoder: the model loads lazily, once per process and model."""

from __future__ import annotations

import logging
import sys
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Sequence

import numpy as np

from .base import TokenVectors, resolve_model

if TYPE_CHECKING:  # importing sentence-transformers pulls in torch: only when a model is needed
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

_load_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(name: str, device: str = "cpu") -> "SentenceTransformer":
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar for reading weights from disk is noise
    target = resolve_model(name)
    log.info("loading embedding model %s", target)
    return SentenceTransformer(target, device=device)


def load_model(name: str, device: str = "cpu") -> "SentenceTransformer":
    """The model for `name`, loaded on first use and kept for the life of the process."""
    with _load_lock:
        return _load(name, device)


def torch_device(device: str) -> str:
    """"auto" → "cuda" when torch sees a CUDA GPU, else "cpu"."""
    if device != "auto":
        return device
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class Embedder:
    """Embeds texts with one model into L2-normalised float32 vectors."""

    def __init__(self, model: str, batch_size: int = 32, device: str = "cpu") -> None:
        self.model_name = model
        self.batch_size = batch_size
        self.device = device
        self._encode_lock = threading.Lock()

    @property
    def dimension(self) -> int:
        model = load_model(self.model_name, self._device())
        dim = model.get_sentence_embedding_dimension()
        if dim is None:
            dim = int(model.encode(["x"]).shape[1])
        return int(dim)

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        """Vectors of `texts`, one row each; a progress bar only on a terminal by default."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._run(texts, show_progress, convert_to_numpy=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """Vectors of `texts`, as `encode` gives them, and each text's token vectors, from the
        same forward pass (the model's contextual token embeddings, special tokens dropped)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        special = set(load_model(self.model_name, self._device()).tokenizer.all_special_ids)
        outputs = self._run(texts, show_progress, output_value=None)
        vectors = np.stack([o["sentence_embedding"].float().numpy() for o in outputs])
        tokens = []
        for o in outputs:
            mask = o["attention_mask"].bool()
            ids = o["input_ids"][mask].numpy()
            keep = np.array([i not in special for i in ids.tolist()], dtype=bool)
            token_vectors = o["token_embeddings"][mask].float().numpy()[keep]
            norms = np.linalg.norm(token_vectors, axis=1, keepdims=True)
            unit = token_vectors / np.maximum(norms, 1e-12)
            tokens.append(TokenVectors(ids[keep].astype(np.int32), unit.astype(np.float16)))
        return np.ascontiguousarray(vectors, dtype=np.float32), tokens

    def _run(self, texts: Sequence[str], show_progress: bool | None, **options):
        """One locked call of the model's `encode`; a progress bar only on a terminal by default."""
        if show_progress is None:
            show_progress = sys.stderr.isatty() and len(texts) > self.batch_size
        model = load_model(self.model_name, self._device())
        with self._encode_lock:  # torch modules are not documented as safe to call concurrently
            return model.encode(
                list(texts),
                batch_size=self.batch_size,
                normalize_embeddings=True,
                show_progress_bar=show_progress,
                **options,
            )

    def _device(self) -> str:
        return torch_device(self.device)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """The tokenizer's pieces for token ids ("##cel", "▁the", "Ġcell" as the model spells them)."""
        return load_model(self.model_name, self._device()).tokenizer.convert_ids_to_tokens([int(i) for i in ids])
