"""Run by test_tiers.py in a pytest of its own, never collected otherwise (no `test_` prefix).

Each test here is unmarked (fast tier) and loads the real embedding model one way: each must fail
with the tier guard's message (conftest.py's MODEL_LOADERS), before any model is read.
"""

from pathlib import Path

import pytest

import tilqa
from tilqa.config import DEFAULT_MODEL

from helpers import SMALL_CORPUS, write_corpus

QUESTION = "Who licensed the gene-editing technology?"


def assistant_on(tmp_path: Path, **settings: object) -> tilqa.Assistant:
    write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    return tilqa.Assistant(
        settings=tilqa.Settings.load(
            environ={}, corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index", **settings
        )
    )


def test_default_assistant_asks(tmp_path: Path) -> None:
    """The default ONNX encoder, on the export cached in the user's cache (or exported)."""
    assistant_on(tmp_path).ask(QUESTION)


def test_default_assistant_exports_the_model_first(tmp_path: Path) -> None:
    assistant_on(tmp_path, onnx_cache_dir=tmp_path / "empty-cache").build()


def test_int8_assistant_builds(tmp_path: Path) -> None:
    assistant_on(tmp_path, backend="onnx-int8", onnx_cache_dir=tmp_path / "empty-cache").build()


def test_torch_assistant_builds(tmp_path: Path) -> None:
    assistant_on(tmp_path, backend="torch").build()


def test_sentence_transformers_called_directly() -> None:
    from sentence_transformers import SentenceTransformer

    from tilqa.encoders import resolve_model

    SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu")


def test_sentence_transformers_called_again_once_imported() -> None:
    import sentence_transformers

    from tilqa.encoders import resolve_model

    sentence_transformers.SentenceTransformer(resolve_model(DEFAULT_MODEL), device="cpu")


def test_onnxruntime_called_directly(tmp_path: Path) -> None:
    import onnxruntime

    onnxruntime.InferenceSession(str(tmp_path / "model.onnx"), providers=["CPUExecutionProvider"])


@pytest.fixture(scope="module")
def built_by_a_module_fixture(tmp_path_factory: pytest.TempPathFactory) -> tilqa.BuildReport:
    return assistant_on(tmp_path_factory.mktemp("module")).build()


def test_a_module_fixture_builds_a_default_assistant(built_by_a_module_fixture: tilqa.BuildReport) -> None:
    """Set up before the test's own function-scoped fixtures: the guard holds for it too."""
