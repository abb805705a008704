"""The ONNX encoder, tilqa's default: `OnnxEmbedder` gives `Embedder`'s vectors without torch,
running the cached export (`onnx_export.py`, made on first use when missing) with onnxruntime, the
Rust `tokenizers` and numpy.
"""

from __future__ import annotations

import logging
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..config import DEVICES, Device, default_onnx_cache_dir
from ..errors import SettingsError
from .base import TokenVectors
from .onnx_export import MODEL_FILE, POOLING_MODES, TOKENIZER_FILE, Pipeline, export_onnx, find_export

if TYPE_CHECKING:  # onnxruntime and tokenizers load on first use, not at import
    import onnxruntime
    import tokenizers

log = logging.getLogger(__name__)


def open_session(path: Path, device: str) -> "onnxruntime.InferenceSession":
    """An onnxruntime session on the model file `path`: on CUDA first when `device` is "cuda" or
    "auto" and onnxruntime offers it, else on the CPU (with a warning when "cuda" was asked for)."""
    import onnxruntime

    providers = ["CPUExecutionProvider"]
    cuda = "CUDAExecutionProvider" in onnxruntime.get_available_providers()
    if device in ("cuda", "auto") and cuda:
        providers.insert(0, "CUDAExecutionProvider")
    elif device == "cuda":
        log.warning("onnxruntime offers no CUDAExecutionProvider here: encoding on the CPU")
    return onnxruntime.InferenceSession(str(path), providers=providers)


def _tokenizer(folder: Path, pipeline: Pipeline) -> "tokenizers.Tokenizer":
    """The saved tokenizer, truncating and padding as sentence-transformers asks transformers to."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(
        max_length=pipeline.max_seq_length, strategy="longest_first", direction=pipeline.truncation_side
    )
    tokenizer.enable_padding(
        direction=pipeline.padding_side,
        pad_id=pipeline.pad_id,
        pad_type_id=pipeline.pad_type_id,
        pad_token=pipeline.pad_token,
    )
    return tokenizer


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Sentence vectors from token vectors (batch, tokens, dimension) as sentence-transformers'
    Pooling computes them with `mode` ("mean", "cls" or "max"), padding masked out."""
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "mean":
        return (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    if mode == "cls":  # the first attended position, as sentence-transformers finds it
        return hidden[np.arange(len(hidden)), mask.argmax(axis=1)]
    if mode == "max":
        return np.where(weights > 0, hidden, -np.inf).max(axis=1)
    raise SettingsError(f"pooling must be one of {', '.join(POOLING_MODES)}, not {mode!r}")


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


@dataclass(frozen=True)
class _Runtime:
    folder: Path
    pipeline: Pipeline
    session: "onnxruntime.InferenceSession"
    tokenizer: "tokenizers.Tokenizer"
    special_ids: np.ndarray


class OnnxEmbedder:
    """Embeds texts with a sentence-transformers model run by onnxruntime, as `Embedder` does.

    Nothing loads in the constructor: the first call finds the cached export (exporting it if
    missing) and opens one session for the life of the object.
    """

    def __init__(
        self,
        model: str,
        batch_size: int = 32,
        cache_dir: Path | None = None,
        quantize: bool = False,
        device: Device = "cpu",
    ) -> None:
        if device not in DEVICES:
            raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {device!r}")
        if batch_size < 1:
            raise SettingsError("batch_size must be at least 1")
        self.model = model
        # int8 vectors differ from fp32 ones (cosine 0.99): an index built with them is another
        # model's, never mixed with fp32 or torch vectors, which are the same (to 1e-6).
        self.model_name = f"{model}#int8" if quantize else model
        self.batch_size = batch_size
        self.cache_dir = Path(cache_dir) if cache_dir is not None else default_onnx_cache_dir()
        self.quantize = quantize
        self.device = device
        self._runtime: _Runtime | None = None
        self._load_lock = threading.Lock()

    @property
    def dimension(self) -> int:
        return self._load().pipeline.dimension

    @property
    def export_folder(self) -> Path:
        """The export folder in use (found or made on first use)."""
        return self._load().folder

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        """Vectors of `texts`, one L2-normalised float32 row each; a progress bar only on a
        terminal by default."""
        vectors, _ = self._run(texts, show_progress, with_tokens=False)
        return vectors

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """Vectors of `texts`, as `encode` gives them, and each text's token vectors, from the
        same forward pass (special tokens dropped, unit length, float16)."""
        return self._run(texts, show_progress, with_tokens=True)

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        """The tokenizer's pieces for token ids ("##cel", "▁the", "Ġcell" as the model spells them)."""
        tokenizer = self._load().tokenizer
        return [tokenizer.id_to_token(int(i)) for i in ids]

    def _load(self) -> _Runtime:
        runtime = self._runtime
        if runtime is not None:
            return runtime
        with self._load_lock:
            if self._runtime is None:
                folder = find_export(self.model, self.cache_dir, self.quantize)
                if folder is None:
                    folder = export_onnx(self.model, self.cache_dir, self.quantize)
                log.info("loading ONNX embedding model %s", folder)
                pipeline = Pipeline.read(folder)
                self._runtime = _Runtime(
                    folder=folder,
                    pipeline=pipeline,
                    session=open_session(folder / MODEL_FILE, self.device),
                    tokenizer=_tokenizer(folder, pipeline),
                    special_ids=np.array(pipeline.special_ids, dtype=np.int64),
                )
            return self._runtime

    def _run(
        self, texts: Sequence[str], show_progress: bool | None, with_tokens: bool
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        """Batches of similar length, longest first (as sentence-transformers forms them), in the
        texts' order again on return. onnxruntime sessions may be run from several threads."""
        runtime = self._load()
        pipeline = runtime.pipeline
        texts = list(texts)
        vectors = np.zeros((len(texts), pipeline.dimension), dtype=np.float32)
        tokens: list[TokenVectors | None] = [None] * len(texts) if with_tokens else []
        if not texts:
            return vectors, []
        if show_progress is None:
            show_progress = sys.stderr.isatty() and len(texts) > self.batch_size
        from tqdm.auto import tqdm

        order = np.argsort([-len(t) for t in texts])
        for start in tqdm(range(0, len(texts), self.batch_size), desc="Batches", disable=not show_progress):
            rows = order[start : start + self.batch_size]
            encodings = runtime.tokenizer.encode_batch([texts[i] for i in rows])
            ids = np.array([e.ids for e in encodings], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in pipeline.input_names:
                feed["token_type_ids"] = np.array([e.type_ids for e in encodings], dtype=np.int64)
            hidden = runtime.session.run([pipeline.output_name], feed)[0].astype(np.float32, copy=False)
            vectors[rows] = _unit(pool(hidden, mask, pipeline.pooling))
            if with_tokens:
                for row, text_index in enumerate(rows):
                    attended = mask[row].astype(bool)
                    token_ids = ids[row][attended]
                    keep = ~np.isin(token_ids, runtime.special_ids)
                    unit = _unit(hidden[row][attended][keep])
                    tokens[text_index] = TokenVectors(token_ids[keep].astype(np.int32), unit.astype(np.float16))
        return vectors, [t for t in tokens if t is not None]
