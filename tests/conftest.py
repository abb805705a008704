"""Shared fixtures, and the guard that keeps the fast tier off the real model (tests/README.md).

Real-model fixtures: the shipped corpus with the real bundled model, its index built once per
session in a temporary folder, and the web chat served on it. Plumbing fixture: the same corpus
with `helpers.HashEncoder`. Helpers that are not fixtures live in `helpers.py`.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.abc
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Callable

import pytest

import tilqa

from helpers import HashEncoder, free_port, need_chromium, write_brief

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"

# Every way the real embedding model loads, as (module, attribute): tilqa's torch encoder, the
# default ONNX encoder's session, the export to ONNX, and the libraries under them, for a test
# that calls one directly. A fast test that reaches one fails (fast_tier_loads_no_model).
MODEL_LOADERS = (
    ("tilqa.encoders.torch", "load_model"),
    ("tilqa.encoders.onnx_runtime", "open_session"),
    ("tilqa.encoders.onnx_export", "export_model"),
    ("sentence_transformers", "SentenceTransformer"),
    ("onnxruntime", "InferenceSession"),
)

# The caller's TILQA_<SETTING> variables, set aside for the run: tests see the defaults only.
SETTING_VARIABLES = tuple(f"TILQA_{f.name.upper()}" for f in dataclasses.fields(tilqa.Settings))
_set_aside: dict[str, str] = {}


def pytest_configure(config: pytest.Config) -> None:
    """Tests run on default settings, whatever `TILQA_*` settings the caller's shell holds (a
    `TILQA_MIN_CONFIDENCE=0` would move the answer floors). Other variables, such as
    `TILQA_REQUIRE_BROWSER`, stay."""
    for name in SETTING_VARIABLES:
        if name in os.environ:
            _set_aside[name] = os.environ.pop(name)


def pytest_unconfigure(config: pytest.Config) -> None:
    os.environ.update(_set_aside)
    _set_aside.clear()


def pytest_report_header(config: pytest.Config) -> str | None:
    if _set_aside:
        return f"ignored for the tests (defaults used): {', '.join(sorted(_set_aside))}"
    return None

# Fixtures that load the real model: a test using one must be marked `model`.
MODEL_FIXTURES = {"assistant", "server_url"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    unmarked = [
        item.nodeid for item in items
        if item.get_closest_marker("model") is None and MODEL_FIXTURES & set(getattr(item, "fixturenames", ()))
    ]
    if unmarked:
        raise pytest.UsageError(
            f"these tests use a real-model fixture ({', '.join(sorted(MODEL_FIXTURES))}) "
            f"but are not marked @pytest.mark.model: {', '.join(unmarked)}"
        )


class _RefuseOnImport(importlib.abc.MetaPathFinder):
    """Applies the refusals to a loader module first imported during the test (sentence-transformers
    and onnxruntime are imported only when needed, and importing them here would slow every run)."""

    def __init__(self, refuse_in: Callable[[ModuleType], None], names: set[str]) -> None:
        self.refuse_in, self.names = refuse_in, names

    def find_spec(self, name, path, target=None):
        if name not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                break
        else:
            return None
        real_exec = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            real_exec(module)
            self.refuse_in(module)

        spec.loader.exec_module = exec_module  # this spec's loader only: the module keeps it
        return spec


@pytest.fixture(autouse=True)
def fast_tier_loads_no_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `model` fails if it loads the embedding model in any way (MODEL_LOADERS):
    it belongs in the real-model tier, or should embed with HashEncoder."""
    if request.node.get_closest_marker("model") is not None:
        return

    def refusal(what: str):
        def refuse(*args: object, **kwargs: object):
            raise AssertionError(
                f"{request.node.nodeid} loads the embedding model ({what}): "
                "mark it @pytest.mark.model, or give its Assistant embedder=HashEncoder()"
            )

        return refuse

    def refuse_in(module: ModuleType) -> None:
        for name, attribute in MODEL_LOADERS:
            if name == module.__name__:
                monkeypatch.setattr(module, attribute, refusal(f"{name}.{attribute}"))

    pending = set()
    for name, _ in MODEL_LOADERS:
        if name in sys.modules:
            refuse_in(sys.modules[name])
        elif name.startswith("tilqa."):
            refuse_in(importlib.import_module(name))  # light: tilqa imports its libraries lazily
        else:
            pending.add(name)
    if pending:
        finder = _RefuseOnImport(refuse_in, pending)
        sys.meta_path.insert(0, finder)
        request.addfinalizer(lambda: sys.meta_path.remove(finder))


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    """An assistant on the shipped corpus with the real model and its own index, built once."""
    settings = tilqa.Settings.load(environ={}, corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"))
    assistant = tilqa.Assistant(settings=settings)
    assistant.build()
    return assistant


@pytest.fixture(scope="session")
def hash_assistant(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    """An assistant on the shipped corpus embedding with HashEncoder, built once: for tests of
    what happens around an answer (bad questions, clamps), not of the answer itself."""
    settings = tilqa.Settings.load(environ={}, corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("hash-index"))
    assistant = tilqa.Assistant(settings=settings, embedder=HashEncoder())
    assistant.build()
    return assistant


@pytest.fixture(scope="session")
def server_url(assistant: tilqa.Assistant):
    """The real web chat, served on a free loopback port for the session, then stopped."""
    from tilqa.web import launch

    port = free_port()
    demo = launch(assistant, host="127.0.0.1", port=port, block=False)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real files made by Chromium and python-docx (tests/render.py), and bad PDFs made from them."""
    need_chromium("real PDFs cannot be made")
    from render import (
        Printer, render_corrupt_pdf, render_docx, render_encrypted_pdf, render_pdf, render_scanned_pdf,
    )

    out = tmp_path_factory.mktemp("rendered")
    text = write_brief(out / "text")
    with Printer() as printer:
        pdf = render_pdf(text, out / "zephyr-brief.pdf", printer=printer)
        scanned = render_scanned_pdf(out / "scanned.pdf", printer=printer)
    return {
        "pdf": pdf,
        "docx": render_docx(text, out / "zephyr-brief.docx"),
        "encrypted": render_encrypted_pdf(pdf, out / "encrypted.pdf"),
        "corrupt": render_corrupt_pdf(pdf, out / "corrupt.pdf"),
        "scanned": scanned,
    }
