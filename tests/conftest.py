"""Shared fixtures: the real corpus, the real bundled model, real FAISS indexes in tmp dirs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

import tilqa

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return CORPUS


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    """An assistant on the shipped corpus with its own index, built once for the session."""
    assistant = tilqa.Assistant(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("index"))
    assistant.build()
    return assistant


def free_port() -> int:
    """A loopback port that nothing listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_corpus(folder: Path, files: dict[str, str | bytes]) -> Path:
    """Write a small corpus: {relative path: text or raw bytes}."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


SMALL_CORPUS = {
    "trials.txt": (
        "Clinical Trials\n"
        "The Phase 2 study enrolled patients with advanced melanoma. It reported durable responses.\n"
        "\n"
        "Manufacturing\n"
        "Cells are expanded in a closed system over three weeks. The product is then frozen.\n"
    ),
    "notes/partners.md": (
        "# Partners\n\n"
        "The company licensed a gene-editing technology from Cellectis. The license covers PD-1 knockouts.\n"
    ),
}


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
