"""A sentence-transformers model exported to ONNX, once, and cached: what `OnnxEmbedder`
(`onnx_runtime.py`) runs. torch is imported only to export.

An export folder holds `model.onnx` (inputs as the tokenizer gives them, output the transformer's
`last_hidden_state`), `tokenizer.json`, and `pipeline.json`: what the sentence-transformers
pipeline around the transformer does (truncation, pooling, normalisation, special tokens). The
cache holds one folder per (model files, exporter versions, quantization); an int8 export is
made from the fp32 one by dynamic quantization.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import SettingsError, TilqaError
from .base import resolve_model

log = logging.getLogger(__name__)

POOLING_MODES = ("mean", "cls", "max")
EXPORT_FORMAT = 1  # bump when the export folder's layout or meaning changes: old exports are then ignored
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
PIPELINE_FILE = "pipeline.json"  # written last: a folder holding it is complete

# What makes an export: the exporter's packages (their versions are part of the cache key) and the
# runtime whose quantizer writes the int8 model.
_EXPORT_PACKAGES = ("torch", "transformers", "sentence-transformers", "onnx", "onnxscript", "onnxruntime")
_ABANDONED_AFTER = 6 * 3600  # seconds: an export takes well under a minute; older temporary folders are dead
_EXPORT_TOLERANCE = 1e-4  # max abs difference of last_hidden_state, ONNX vs torch, checked on export


@dataclass(frozen=True)
class Pipeline:
    """The sentence-transformers steps around the transformer, as recorded in `pipeline.json`."""

    model: str
    source: str
    quantization: str | None  # None or "int8-dynamic"
    dimension: int
    max_seq_length: int
    do_lower_case: bool  # already in tokenizer.json's normalizer, as sentence-transformers puts it
    pooling: str
    normalize: bool
    special_ids: tuple[int, ...]
    pad_id: int
    pad_token: str
    pad_type_id: int
    padding_side: str
    truncation_side: str
    input_names: tuple[str, ...]
    output_name: str

    @classmethod
    def read(cls, folder: Path) -> "Pipeline":
        data = json.loads((folder / PIPELINE_FILE).read_text(encoding="utf-8"))
        if data.get("format") != EXPORT_FORMAT:
            raise TilqaError(
                f"{folder} holds an ONNX export of format {data.get('format')}, not {EXPORT_FORMAT}: delete it"
            )
        fields = {name: data[name] for name in cls.__dataclass_fields__}
        fields["special_ids"] = tuple(fields["special_ids"])
        fields["input_names"] = tuple(fields["input_names"])
        return cls(**fields)


# -- the cache: one folder per (model files, exporter versions, quantization) ----------------------


def export_folder(model: str, cache_dir: Path, quantize: bool = False) -> Path:
    """The folder an export of `model` has, or would have, under `cache_dir`."""
    return Path(cache_dir) / f"{_model_key(model)}-{_variant(quantize)}-{_tools_key()}"


def find_export(model: str, cache_dir: Path, quantize: bool = False) -> Path | None:
    """A complete export of `model` under `cache_dir`, or None.

    Where the exporter's packages are not installed (an onnxruntime-only install), any complete
    export of the same model files is taken, the newest first: it cannot be redone here anyway.
    """
    exact = export_folder(model, cache_dir, quantize)
    if (exact / PIPELINE_FILE).is_file():
        return exact
    if _exporter_installed():
        return None
    pattern = f"{_model_key(model)}-{_variant(quantize)}-*"
    found = [p for p in Path(cache_dir).glob(pattern) if _format(p) == EXPORT_FORMAT]
    if not found:
        return None
    newest = max(found, key=lambda p: (p / PIPELINE_FILE).stat().st_mtime)
    log.info("exporter packages not installed: using the existing export %s", newest)
    return newest


def export_onnx(model: str, cache_dir: Path, quantize: bool = False) -> Path:
    """Export `model` (a sentence-transformers path or name) to ONNX under `cache_dir`, once.

    Returns the export folder. A finished export is reused; a new one is written in a temporary
    folder and renamed into place, so a racing process either wins or reuses the winner's.
    """
    cache_dir = Path(cache_dir)
    final = export_folder(model, cache_dir, quantize)
    if (final / PIPELINE_FILE).is_file():
        log.debug("reusing ONNX export %s", final)
        return final
    if not _exporter_installed():
        missing = [p for p in _EXPORT_PACKAGES if package_version(p) is None]
        raise TilqaError(
            f"no ONNX export of {model!r} in {cache_dir}, and exporting needs {', '.join(missing)} installed"
        )
    source = export_onnx(model, cache_dir) if quantize else None  # int8 is made from the fp32 export
    cache_dir.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(cache_dir)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{final.name}-", dir=cache_dir))
    try:
        if source is not None:
            _quantize(source, tmp)
        else:
            export_model(model, tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / PIPELINE_FILE).is_file():
                raise
            log.info("another process exported %s first; using its export", model)
            return final
        log.info("exported %s to %s", model, final)
        return final
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _format(folder: Path) -> int | None:
    """The format of a complete export folder; None for anything else."""
    try:
        return json.loads((folder / PIPELINE_FILE).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None


def _remove_abandoned(cache_dir: Path) -> None:
    """Remove temporary folders of exports that died (killed mid-way) long ago."""
    cutoff = time.time() - _ABANDONED_AFTER
    for stale in cache_dir.glob(".tmp-*"):
        try:
            if stale.stat().st_mtime < cutoff:
                log.info("removing the abandoned export %s", stale)
                shutil.rmtree(stale, ignore_errors=True)
        except FileNotFoundError:  # its exporter finished meanwhile
            pass


def _variant(quantize: bool) -> str:
    return "int8" if quantize else "fp32"


def package_version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def _exporter_installed() -> bool:
    return all(package_version(p) is not None for p in _EXPORT_PACKAGES)


def _tools_key() -> str:
    versions = {p: package_version(p) for p in _EXPORT_PACKAGES}
    text = json.dumps({"format": EXPORT_FORMAT, "versions": versions}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:8]


def _model_key(model: str) -> str:
    """A readable name and a digest of the model's files (paths, sizes, modification times)."""
    target = resolve_model(model)
    folder = _local_model_dir(target)
    identity: dict[str, Any] = {"model": target}
    if folder is not None:
        identity["path"] = str(folder.resolve())
        identity["files"] = sorted(
            (str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        )
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:12]
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model.strip("/").rsplit("/", 1)[-1])[:40] or "model"
    return f"{slug}-{digest}"


def _local_model_dir(target: str) -> Path | None:
    """The folder holding the model's files: the path given, or its copy in the Hugging Face cache."""
    if Path(target).is_dir():
        return Path(target)
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(target, local_files_only=True))
    except Exception as error:  # not in the cache, or not a repository name: key on the name alone
        log.debug("no local copy of %s (%s)", target, error)
        return None


# -- exporting (torch, sentence-transformers and onnxscript are imported only here) ----------------


def export_model(model: str, folder: Path) -> None:
    """Write model.onnx, tokenizer.json and pipeline.json of `model` into `folder`."""
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()
    target = resolve_model(model)
    log.info("exporting %s to ONNX (once; it takes a few seconds)", target)
    st = SentenceTransformer(target, device="cpu")
    pipeline = _pipeline_of(st, model, target)
    transformer = st[0]
    tokenizer = transformer.tokenizer
    tokenizer.backend_tokenizer.save(str(folder / TOKENIZER_FILE))

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, return_dict=True, **extra)
            return out.last_hidden_state

    wrapper = LastHiddenState(transformer.auto_model).eval()
    sample = tokenizer(
        ["An example sentence, long enough to vary in length.", "A short one."],
        padding=True,
        return_tensors="pt",
    )
    inputs = {name: sample[name] for name in pipeline.input_names}
    batch, sequence = torch.export.Dim("batch"), torch.export.Dim("sequence")
    with torch.inference_mode():
        expected = wrapper(**inputs).numpy()
    # The exporter logs a warning for each torchvision operator it cannot register ("torchvision
    # is not installed"): no model of ours uses them.
    registration = logging.getLogger("torch.onnx._internal.exporter._registration")
    level = registration.level
    registration.setLevel(logging.ERROR)
    with warnings.catch_warnings():  # the exporter's notes on its own internals, not on this model
        warnings.filterwarnings("ignore", message=".*axis name", category=UserWarning)
        warnings.filterwarnings("ignore", message=".*LeafSpec", category=FutureWarning)
        try:
            torch.onnx.export(
                wrapper,
                (),
                str(folder / MODEL_FILE),
                kwargs=inputs,
                input_names=list(pipeline.input_names),
                output_names=[pipeline.output_name],
                dynamic_shapes={name: {0: batch, 1: sequence} for name in pipeline.input_names},
                dynamo=True,
                external_data=False,
                verbose=False,
            )
        finally:
            registration.setLevel(level)
    import onnxruntime  # the export is checked on the CPU, as onnx_runtime.open_session(..., "cpu") runs it

    session = onnxruntime.InferenceSession(str(folder / MODEL_FILE), providers=["CPUExecutionProvider"])
    got = session.run(None, {k: v.numpy().astype(np.int64) for k, v in inputs.items()})[0]
    difference = float(np.abs(got - expected).max())
    if difference > _EXPORT_TOLERANCE:
        raise TilqaError(f"the ONNX export of {model!r} differs from torch by {difference:.2g}")
    _write_pipeline(folder, pipeline)


def _pipeline_of(st: Any, model: str, target: str) -> Pipeline:
    """What `Embedder` does around the transformer, read off the loaded model; raises SettingsError
    for steps this encoder does not reproduce."""
    kinds = [type(module).__name__ for module in st]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        raise SettingsError(
            f"model {model!r} has modules {kinds}; the ONNX encoder supports Transformer, Pooling "
            "and an optional Normalize"
        )
    if getattr(st, "default_prompt_name", None) or getattr(st, "truncate_dim", None):
        raise SettingsError(
            f"model {model!r} has a default prompt or truncate_dim: not supported by the ONNX encoder"
        )
    pooling = st[1].pooling_mode
    if not isinstance(pooling, str) or pooling not in POOLING_MODES:
        raise SettingsError(
            f"model {model!r} pools with {pooling!r}; the ONNX encoder supports {', '.join(POOLING_MODES)}"
        )
    tokenizer = st[0].tokenizer
    names = ("input_ids", "attention_mask", "token_type_ids")
    inputs = tuple(n for n in names if n in tokenizer.model_input_names)
    return Pipeline(
        model=model,
        source=target,
        quantization=None,
        dimension=int(getattr(st, "get_embedding_dimension", st.get_sentence_embedding_dimension)()),
        max_seq_length=int(st.max_seq_length),
        do_lower_case=bool(getattr(st[0], "do_lower_case", False)),
        pooling=pooling,
        normalize="Normalize" in kinds,
        special_ids=tuple(sorted(int(i) for i in tokenizer.all_special_ids)),
        pad_id=int(tokenizer.pad_token_id),
        pad_token=str(tokenizer.pad_token),
        pad_type_id=int(getattr(tokenizer, "pad_token_type_id", 0)),
        padding_side=str(tokenizer.padding_side),
        truncation_side=str(tokenizer.truncation_side),
        input_names=inputs,
        output_name="last_hidden_state",
    )


def _quantize(source: Path, folder: Path) -> None:
    """Dynamic int8 quantization of the fp32 export in `source` into `folder`."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    log.info("quantizing %s to int8", source)
    # MatMul weights only, per output channel: on a 2-core AVX2 machine (benchmarks/onnx_trial.py)
    # this kept a mean cosine of 0.991 to fp32 over 300 corpus sentences, where the defaults
    # (every op, per tensor: the embedding tables too) kept 0.953, and QUInt8 weights 0.978.
    quantize_dynamic(
        source / MODEL_FILE,
        folder / MODEL_FILE,
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
    )
    shutil.copy2(source / TOKENIZER_FILE, folder / TOKENIZER_FILE)
    pipeline = Pipeline.read(source)
    _write_pipeline(folder, replace(pipeline, quantization="int8-dynamic"))


def _write_pipeline(folder: Path, pipeline: Pipeline) -> None:
    data = dict(asdict(pipeline), format=EXPORT_FORMAT)
    data["exported_with"] = {p: package_version(p) for p in _EXPORT_PACKAGES}
    (folder / PIPELINE_FILE).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
