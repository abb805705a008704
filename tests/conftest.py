"""Shared fixtures, and the guard that keeps the fast tier off the real model (tests/README.md).

Real-model fixtures: the shipped corpus with the real bundled model, its index built once per
session in a temporary folder, and the web chat served on it. Plumbing fixture: the same corpus
with `helpers.HashEncoder`. Helpers that are not fixtures live in `helpers.py`.
"""

from __future__ import annotations

import dataclasses
import functools
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
# that calls one directly. A fast test that reaches one fails (_guarded), even from a fixture.
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
    `TILQA_REQUIRE_BROWSER`, stay. And the tier guard: the model loaders refuse to run for a
    test not marked `model`."""
    for name in SETTING_VARIABLES:
        if name in os.environ:
            _set_aside[name] = os.environ.pop(name)
    _guard_model_loaders()


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


# The test running now (its setup, call and teardown, with the fixtures it sets up first):
# a model loader called outside a `model` test's run refuses (MODEL_LOADERS).
_running: list[pytest.Item] = []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    _running.append(item)
    try:
        return (yield)
    finally:
        _running.pop()


def _guarded(load: Callable, what: str) -> Callable:
    """`load`, refusing to run for a test not marked `model`. Wrapping the loaders for the whole
    session (not patching them per test) also catches a module- or session-scoped fixture that a
    fast test sets up."""

    @functools.wraps(load)
    def guarded(*args: object, **kwargs: object):
        item = _running[-1] if _running else None
        if item is not None and item.get_closest_marker("model") is None:
            raise AssertionError(
                f"{item.nodeid} loads the embedding model ({what}): "
                "mark it @pytest.mark.model, or give its Assistant embedder=HashEncoder()"
            )
        return load(*args, **kwargs)

    guarded.__tilqa_tier_guard__ = True
    return guarded


def _guard_module(module: ModuleType) -> None:
    """Guard the loaders `module` holds; a class's constructor, so the class stays itself."""
    for name, attribute in MODEL_LOADERS:
        if name != module.__name__:
            continue
        target = getattr(module, attribute)
        if isinstance(target, type):
            if not getattr(target.__init__, "__tilqa_tier_guard__", False):
                target.__init__ = _guarded(target.__init__, f"{name}.{attribute}")
        elif not getattr(target, "__tilqa_tier_guard__", False):
            setattr(module, attribute, _guarded(target, f"{name}.{attribute}"))


class _GuardOnImport(importlib.abc.MetaPathFinder):
    """Guards a loader library when it is first imported (sentence-transformers and onnxruntime
    load only when needed; importing them here would slow every run)."""

    def find_spec(self, name, path, target=None):
        if name not in {module for module, _ in MODEL_LOADERS}:
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
            _guard_module(module)

        spec.loader.exec_module = exec_module  # this spec's loader only
        return spec


def _guard_model_loaders() -> None:
    for name, _ in MODEL_LOADERS:
        if name in sys.modules:
            _guard_module(sys.modules[name])
        elif name.startswith("tilqa."):
            _guard_module(importlib.import_module(name))  # light: tilqa imports its libraries lazily
    sys.meta_path.insert(0, _GuardOnImport())


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
