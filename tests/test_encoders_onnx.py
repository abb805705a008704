"""OnnxEmbedder against the torch Embedder, on the real bundled model and real onnxruntime.

The model is exported once per session into a temporary cache folder (about 20 s on 2 cores).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnxruntime", reason="the ONNX encoder needs onnxruntime")
pytest.importorskip("onnxscript", reason="exporting to ONNX needs onnxscript")

from tilqa.encoders import onnx_export, onnx_runtime  # noqa: E402
from tilqa.config import DEFAULT_MODEL  # noqa: E402
from tilqa.encoders import Embedder  # noqa: E402
from tilqa.errors import SettingsError, TilqaError  # noqa: E402
from tilqa.encoders.onnx_export import export_onnx, find_export  # noqa: E402
from tilqa.encoders.onnx_runtime import OnnxEmbedder, pool  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS_FILE = ROOT / "corpus" / "iovance-rd-focus.txt"
model = pytest.mark.model


@pytest.fixture(scope="session")
def onnx_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cache folder holding the fp32 export of the bundled model, made once."""
    cache = tmp_path_factory.mktemp("onnx-cache")
    export_onnx(DEFAULT_MODEL, cache)
    return cache


@pytest.fixture(scope="session")
def texts() -> list[str]:
    """Three dozen sentences of the shipped corpus, long and short, one over 256 tokens, in no
    particular length order (batches are sorted by length, and the order must come back)."""
    lines = [line.strip() for line in CORPUS_FILE.read_text("utf-8").splitlines() if line.strip()]
    sentences = [s.strip() for line in lines for s in line.split(". ") if s.strip()]
    picked = sentences[:30] + ["Iovance.", "TIL", "a", "Lifileucel (Amtagvi) for melanoma?"]
    picked.insert(7, " ".join(lines))  # thousands of characters: truncated to 256 tokens
    return picked


@pytest.fixture(scope="session")
def torch_output(texts: list[str]):
    return Embedder(DEFAULT_MODEL).encode_with_tokens(texts, show_progress=False)


@model
def test_sentence_vectors_match_torch(onnx_cache: Path, texts: list[str], torch_output) -> None:
    expected, _ = torch_output
    # a smaller batch than Embedder's: batches are formed differently, vectors must not change
    got = OnnxEmbedder(DEFAULT_MODEL, batch_size=8, cache_dir=onnx_cache).encode(texts, show_progress=False)
    assert got.dtype == np.float32 and got.shape == expected.shape == (len(texts), 384)
    assert np.abs(got - expected).max() < 1e-4
    assert (got * expected).sum(axis=1).mean() > 0.9999
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


@model
def test_token_vectors_match_torch(onnx_cache: Path, texts: list[str], torch_output) -> None:
    expected_vectors, expected_tokens = torch_output
    embedder = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
    vectors, tokens = embedder.encode_with_tokens(texts, show_progress=False)
    assert np.abs(vectors - expected_vectors).max() < 1e-4
    assert np.array_equal(vectors, embedder.encode(texts, show_progress=False))
    assert len(tokens) == len(expected_tokens) == len(texts)
    for got, want in zip(tokens, expected_tokens):
        assert got.ids.dtype == np.int32 and got.vectors.dtype == np.float16
        assert np.array_equal(got.ids, want.ids)
        assert np.abs(got.vectors.astype(np.float32) - want.vectors.astype(np.float32)).max() < 2e-3
    assert len(tokens[7].ids) == 256 - 2  # the long text: truncated, [CLS] and [SEP] dropped


@model
def test_token_strings_match_torch(onnx_cache: Path, torch_output) -> None:
    _, tokens = torch_output
    ids = np.concatenate([t.ids for t in tokens[:5]]).tolist() + [0, 100, 101, 102, 103]
    embedder = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
    assert embedder.token_strings(ids) == Embedder(DEFAULT_MODEL).token_strings(ids)


@model
def test_second_embedder_reuses_the_export(onnx_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = find_export(DEFAULT_MODEL, onnx_cache)
    assert folder is not None
    before = (folder / "model.onnx").stat().st_mtime_ns
    with caplog.at_level(logging.INFO, logger="tilqa.encoders"):
        embedder = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
        embedder.encode(["Which cells does lifileucel use?"])
        assert export_onnx(DEFAULT_MODEL, onnx_cache) == folder
    assert embedder.export_folder == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == before
    assert not [r for r in caplog.records if r.getMessage().startswith(("exporting", "exported"))]
    assert [p.name for p in onnx_cache.iterdir() if p.name.startswith(".tmp")] == []
    pipeline = json.loads((folder / "pipeline.json").read_text("utf-8"))
    assert (pipeline["max_seq_length"], pipeline["pooling"], pipeline["normalize"]) == (256, "mean", True)


@model
def test_encoding_imports_no_torch(onnx_cache: Path) -> None:
    code = (
        "import sys\n"
        "import tilqa.encoders.onnx_runtime as m\n"
        f"e = m.OnnxEmbedder({DEFAULT_MODEL!r}, cache_dir={str(onnx_cache)!r})\n"
        "v, t = e.encode_with_tokens(['Iovance develops tumor infiltrating lymphocyte therapies.'])\n"
        "assert v.shape == (1, 384) and len(t[0].ids) > 5, v.shape\n"
        "e.token_strings(t[0].ids)\n"
        "loaded = [n for n in ('torch', 'transformers', 'sentence_transformers') if n in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]


@model
def test_concurrent_first_use_opens_one_session(onnx_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    opened = []
    real_session = onnx_runtime.open_session
    monkeypatch.setattr(onnx_runtime, "open_session", lambda *a: opened.append(a) or real_session(*a))
    embedder = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(embedder.encode(["CD8 T cells", "melanoma"])))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(opened) == 1 and len(results) == 4
    assert all(np.array_equal(r, results[0]) for r in results)


@model
def test_empty_input(onnx_cache: Path) -> None:
    embedder = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
    assert embedder.encode([]).shape == (0, 384)
    vectors, tokens = embedder.encode_with_tokens([])
    assert vectors.shape == (0, 384) and tokens == []
    assert embedder.dimension == 384


@model
def test_cuda_without_a_gpu_falls_back_to_cpu(onnx_cache: Path, caplog: pytest.LogCaptureFixture) -> None:
    import onnxruntime

    if "CUDAExecutionProvider" in onnxruntime.get_available_providers():
        pytest.skip("this onnxruntime has CUDA: nothing falls back")
    with caplog.at_level(logging.WARNING, logger="tilqa.encoders.onnx_runtime"):
        vectors = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache, device="cuda").encode(["lifileucel"])
    assert vectors.shape == (1, 384)
    assert any("CUDAExecutionProvider" in r.getMessage() for r in caplog.records)


@model
def test_int8_export_is_cached_apart_and_close(onnx_cache: Path, texts: list[str]) -> None:
    fp32 = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache)
    int8 = OnnxEmbedder(DEFAULT_MODEL, cache_dir=onnx_cache, quantize=True)
    exact, approximate = fp32.encode(texts), int8.encode(texts)
    assert int8.export_folder != fp32.export_folder
    size = {e.quantize: (e.export_folder / "model.onnx").stat().st_size for e in (fp32, int8)}
    assert size[True] < 0.8 * size[False]
    pipeline = json.loads((int8.export_folder / "pipeline.json").read_text("utf-8"))
    assert pipeline["quantization"] == "int8-dynamic"
    cosines = (exact * approximate).sum(axis=1)
    assert cosines.mean() > 0.98 and cosines.min() > 0.9  # int8 is close, not equal (measured 0.991 mean)


@model
def test_cls_pooled_local_model_matches_torch(tmp_path: Path) -> None:
    """Any local sentence-transformers folder exports; CLS pooling, and no Normalize module."""
    from sentence_transformers import SentenceTransformer, models

    from tilqa.encoders import resolve_model

    transformer = models.Transformer(resolve_model(DEFAULT_MODEL))
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="cls")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(tmp_path / "cls-model"))
    local = str(tmp_path / "cls-model")
    sentences = ["Iovance Biotherapeutics develops TIL therapy.", "Short.", "Amtagvi was approved in 2024."]
    expected = Embedder(local).encode(sentences, show_progress=False)
    got = OnnxEmbedder(local, cache_dir=tmp_path / "cache").encode(sentences)
    assert np.abs(got - expected).max() < 1e-4
    pipeline = json.loads((find_export(local, tmp_path / "cache") / "pipeline.json").read_text("utf-8"))
    assert (pipeline["pooling"], pipeline["normalize"]) == ("cls", False)


@model
def test_unsupported_pooling_is_refused(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, models

    from tilqa.encoders import resolve_model

    transformer = models.Transformer(resolve_model(DEFAULT_MODEL))
    pooling = models.Pooling(transformer.get_embedding_dimension(), pooling_mode="weightedmean")
    SentenceTransformer(modules=[transformer, pooling], device="cpu").save(str(tmp_path / "weighted"))
    with pytest.raises(SettingsError, match="weightedmean.*mean, cls, max"):
        export_onnx(str(tmp_path / "weighted"), tmp_path / "cache")
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []  # the failed export left nothing


# -- plumbing: no model loaded ----------------------------------------------------------------------


def test_pooling_modes_mask_padding() -> None:
    hidden = np.arange(2 * 3 * 2, dtype=np.float32).reshape(2, 3, 2)
    mask = np.array([[1, 1, 0], [1, 0, 0]])
    assert np.array_equal(pool(hidden, mask, "mean"), [[1.0, 2.0], [6.0, 7.0]])
    assert np.array_equal(pool(hidden, mask, "cls"), [[0.0, 1.0], [6.0, 7.0]])
    assert np.array_equal(pool(hidden, mask, "max"), [[2.0, 3.0], [6.0, 7.0]])
    with pytest.raises(SettingsError, match="mean, cls, max"):
        pool(hidden, mask, "lasttoken")


def test_bad_arguments_are_refused_early() -> None:
    with pytest.raises(SettingsError, match="cpu, cuda"):
        OnnxEmbedder(DEFAULT_MODEL, device="tpu")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="batch_size"):
        OnnxEmbedder(DEFAULT_MODEL, batch_size=0)


def _fake_export(model: str, folder: Path) -> None:
    (folder / "model.onnx").write_bytes(b"fake")
    (folder / "pipeline.json").write_text(json.dumps({"format": onnx_export.EXPORT_FORMAT}), "utf-8")


def test_losing_an_export_race_uses_the_winner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    final = onnx_export.export_folder(DEFAULT_MODEL, tmp_path)

    def export_while_another_process_wins(model: str, folder: Path) -> None:
        _fake_export(model, folder)
        final.mkdir()
        (final / "pipeline.json").write_text('{"winner": true}', "utf-8")

    monkeypatch.setattr(onnx_export, "export_model", export_while_another_process_wins)
    assert export_onnx(DEFAULT_MODEL, tmp_path) == final
    assert json.loads((final / "pipeline.json").read_text("utf-8")) == {"winner": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == [final.name]  # the loser's folder is gone


def test_a_failed_export_leaves_no_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(model: str, folder: Path) -> None:
        (folder / "model.onnx").write_bytes(b"half")
        raise TilqaError("exporter crashed")

    monkeypatch.setattr(onnx_export, "export_model", broken)
    with pytest.raises(TilqaError, match="crashed"):
        export_onnx(DEFAULT_MODEL, tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert find_export(DEFAULT_MODEL, tmp_path) is None


def test_without_the_exporter_any_export_of_the_same_files_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_export, "export_model", _fake_export)
    made = export_onnx(DEFAULT_MODEL, tmp_path)
    assert find_export(DEFAULT_MODEL, tmp_path) == made
    real_version = onnx_export.package_version
    monkeypatch.setattr(onnx_export, "package_version", lambda p: None if p == "torch" else real_version(p))
    assert onnx_export.export_folder(DEFAULT_MODEL, tmp_path) != made  # another key without torch...
    assert find_export(DEFAULT_MODEL, tmp_path) == made  # ...yet the export is found
    assert find_export(DEFAULT_MODEL, tmp_path, quantize=True) is None
    with pytest.raises(TilqaError, match="needs torch"):
        export_onnx(DEFAULT_MODEL, tmp_path, quantize=True)


def test_an_abandoned_temporary_export_is_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    old, recent = tmp_path / ".tmp-killed-long-ago", tmp_path / ".tmp-still-exporting"
    for folder in (old, recent):
        folder.mkdir()
        (folder / "model.onnx").write_bytes(b"half")
    os.utime(old, (0, 0))
    monkeypatch.setattr(onnx_export, "export_model", _fake_export)
    made = export_onnx(DEFAULT_MODEL, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([made.name, recent.name])
