"""The encoder a `Settings` asks for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Encoder
from .onnx_runtime import OnnxEmbedder
from .torch import Embedder

if TYPE_CHECKING:
    from ..config import Settings


def make_encoder(settings: "Settings") -> Encoder:
    """The encoder the settings ask for: ONNX Runtime (the default), int8 ONNX, or torch."""
    if settings.backend == "torch":
        return Embedder(settings.model, settings.batch_size, settings.device)
    return OnnxEmbedder(
        settings.model,
        settings.batch_size,
        cache_dir=settings.onnx_cache_dir,
        quantize=settings.backend == "onnx-int8",
        device=settings.device,
    )
