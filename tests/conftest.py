"""Shared fixtures, and the guard that keeps the fast tier off the real model (tests/README.md).

Real-model fixtures: the shipped corpus with the real bundled model, its index built once per
session in a temporary folder, and the web chat served on it. Plumbing fixture: the same corpus
with `helpers.HashEncoder`. Helpers that are not fixtures live in `helpers.py`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tilqa
import tilqa.encoders.torch

from helpers import HashEncoder, free_port, write_brief

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
CHROMIUM = Path("/usr/bin/chromium")

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


@pytest.fixture(autouse=True)
def fast_tier_loads_no_model(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test not marked `model` fails if it loads the embedding model (it belongs in the real-model
    tier, or should embed with HashEncoder)."""
    if request.node.get_closest_marker("model") is not None:
        return

    def refuse(name: str, device: str = "cpu"):
        raise AssertionError(
            f"{request.node.nodeid} loads the embedding model {name!r}: "
            "mark it @pytest.mark.model, or give its Assistant embedder=HashEncoder()"
        )

    monkeypatch.setattr(tilqa.encoders.torch, "load_model", refuse)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    """An assistant on the shipped corpus with the real model and its own index, built once."""
    assistant = tilqa.Assistant(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"))
    assistant.build()
    return assistant


@pytest.fixture(scope="session")
def hash_assistant(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    """An assistant on the shipped corpus embedding with HashEncoder, built once: for tests of
    what happens around an answer (bad questions, clamps), not of the answer itself."""
    assistant = tilqa.Assistant(
        corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("hash-index"), embedder=HashEncoder()
    )
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
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed: real PDFs cannot be made")
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
