"""Encoders: what turns text into the vectors the index stores and questions are matched with.

- `base`: the `Encoder` protocol, `TokenVectors`, `text_key`, `resolve_model` (the bundled model).
- `factory`: `make_encoder(settings)`, the encoder a `Settings` asks for.
- `torch`: `Embedder`, sentence-transformers on torch.
- `onnx_export`: the model exported to ONNX once, cached, optionally quantized to int8.
- `onnx_runtime`: `OnnxEmbedder`, the default: the export run by onnxruntime, without torch.
- `ray`: `RayEncoder`, `Embedder`'s vectors computed on a Ray cluster (the `tilqa[ray]` extra).

Importing this package loads no model and imports none of torch, onnxruntime or ray: each
encoder loads what it needs on first use.
"""

from __future__ import annotations

from .base import Encoder, TokenVectors, resolve_model, text_key
from .factory import make_encoder
from .onnx_runtime import OnnxEmbedder
from .ray import RayEncoder
from .torch import Embedder

__all__ = [
    "Embedder",
    "Encoder",
    "OnnxEmbedder",
    "RayEncoder",
    "TokenVectors",
    "make_encoder",
    "resolve_model",
    "text_key",
]
