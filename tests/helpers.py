"""What tests share besides fixtures: writing a small corpus, a free port, a document's text, a
small deterministic embedding model for plumbing tests, and what the web chat's and uploads' tests
share (a served chat, a brief to upload, what a source page shows) (`from helpers import ...`)."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

import tilqa
from tilqa.encoders import TokenVectors


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


def document_text(settings_or_assistant: tilqa.Settings | tilqa.Assistant, source: str) -> str:
    """The text a citation's or passage's offsets index into, for the document `source`: the
    file's text as tilqa's extractor reads it (for a `.txt` file, the file's text itself), read
    from the file, not from the index.

    Every offset round-trip in the tests reads it here, the one place that says what offsets
    index into.
    """
    from tilqa.formats import extract

    settings = getattr(settings_or_assistant, "settings", settings_or_assistant)
    return extract(settings.corpus_dir / source).text


class HashEncoder:
    """A deterministic stand-in for the embedding model, for plumbing tests (no torch, no model).

    Each word (`\\w+`, lower-cased) gets a fixed random unit vector seeded by a hash of it; a
    text's token vectors are its words' vectors and its sentence vector their normalised mean, so
    texts sharing words are similar and texts sharing none are nearly orthogonal.
    """

    model_name = "test-hash-encoder-64"
    WORD = re.compile(r"\w+")
    # Token ids stay below 2**20: TokenScorer sizes arrays by the largest id, as a real
    # tokenizer's vocabulary (30,522 pieces for MiniLM) is small.
    VOCABULARY = 2**20

    def __init__(self, dimension: int = 64) -> None:
        self._dimension = dimension
        self._words: dict[int, str] = {}
        self._vectors: dict[str, np.ndarray] = {}

    @property
    def dimension(self) -> int:
        return self._dimension

    def _word(self, word: str) -> tuple[int, np.ndarray]:
        word = word.lower()
        digest = hashlib.sha256(word.encode("utf-8")).digest()
        token_id = int.from_bytes(digest[:4], "little") % self.VOCABULARY
        self._words.setdefault(token_id, word)
        if word not in self._vectors:
            vector = np.random.default_rng(int.from_bytes(digest[4:12], "little")).standard_normal(self._dimension)
            self._vectors[word] = vector / np.linalg.norm(vector)
        return token_id, self._vectors[word]

    def _text(self, text: str) -> tuple[np.ndarray, TokenVectors]:
        words = [self._word(w) for w in self.WORD.findall(text)]
        if not words:
            empty = TokenVectors(np.zeros(0, np.int32), np.zeros((0, self._dimension), np.float16))
            return np.zeros(self._dimension, np.float32), empty
        ids = np.array([i for i, _ in words], dtype=np.int32)
        vectors = np.stack([v for _, v in words])
        mean = vectors.mean(axis=0)
        return (mean / np.linalg.norm(mean)).astype(np.float32), TokenVectors(ids, vectors.astype(np.float16))

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        return self.encode_with_tokens(texts, show_progress)[0]

    def encode_with_tokens(
        self, texts: Sequence[str], show_progress: bool | None = None
    ) -> tuple[np.ndarray, list[TokenVectors]]:
        if not texts:
            return np.zeros((0, self._dimension), np.float32), []
        encoded = [self._text(t) for t in texts]
        return np.stack([v for v, _ in encoded]), [t for _, t in encoded]

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return [self._words[int(i)] for i in ids]


# -- the web chat and uploads -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "corpus" / "iovance-rd-focus.txt"

# A brief about facts the shipped corpus does not hold, long enough that the fact asked about
# lies on a later page of its PDF.
QUESTION = "Which company supplies the Velmora bioreactor?"
FACT = "The Velmora bioreactor is supplied by Castellan Instruments."


def brief_text() -> str:
    rooms = [
        f"Reading room {k} opens at {7 + k % 3} o'clock and closes at {16 + k % 5} o'clock on weekdays. "
        f"Its shelves hold {120 + 17 * k} volumes on {topic}, catalogued by the archive staff in {1990 + k}. "
        f"Visitors sign the ledger at desk {k} and may borrow up to {2 + k % 4} volumes for a fortnight."
        for k, topic in enumerate(
            ["maritime history", "alpine botany", "medieval music", "railway timetables", "glass making",
             "river surveys", "textile dyes", "lighthouse keeping", "clock repair", "folk dances",
             "cartography", "bee keeping", "bridge building", "weaving looms", "salt mining",
             "paper making", "stone masonry", "kite flying"],
            start=1,
        )
    ]
    equipment = (
        f"{FACT} It runs continuous perfusion cultures of up to forty litres and is serviced every "
        "quarter by the supplier's own engineers."
    )
    return (
        "Zephyr Labs facilities brief\n\n2 June 2025\nReading Rooms\n"
        + "\n\n".join(rooms)
        + "\n\nLaboratory Equipment\n" + equipment + "\n"
    )


def write_brief(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "zephyr-brief.txt"
    path.write_text(brief_text(), encoding="utf-8")
    return path


def pdf_page_of(pdf: Path, phrase: str) -> tuple[int, int]:
    """(1-based page holding `phrase`, page count), read with pypdf: not with tilqa's reader."""
    from pypdf import PdfReader

    pages = PdfReader(pdf).pages
    found = [n for n, page in enumerate(pages, 1) if phrase in " ".join(page.extract_text().split())]
    assert len(found) == 1, f"{phrase!r} found on pages {found}"
    return found[0], len(pages)


@contextmanager
def serve(assistant: tilqa.Assistant, **options: object) -> Iterator[str]:
    """The web chat on a free loopback port (`tilqa.web.launch` options), stopped afterwards."""
    from tilqa.web import launch

    port = free_port()
    demo = launch(assistant, host="127.0.0.1", port=port, block=False, **options)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def real_assistant_on(folder: Path, assistant: tilqa.Assistant) -> tilqa.Assistant:
    """An assistant with the real model on a copy of the shipped corpus and of `assistant`'s index
    (the session's, already built), so only what a test adds is embedded."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    shutil.copy(SHIPPED, corpus)
    shutil.copytree(assistant.settings.index_dir, folder / "index", ignore=shutil.ignore_patterns(".build.lock"))
    return tilqa.Assistant(corpus_dir=corpus, index_dir=folder / "index", embedder=assistant.embedder)


def shown_text(page: str) -> str:
    """The document text a source page shows, as the reader sees it (tags removed, unescaped)."""
    body = re.search(r"<div class='text'>(.*)</div>", page, re.S)
    assert body, page[:500]
    return html.unescape(re.sub(r"</?(?:mark|span)[^>]*>", "", body.group(1)))


def marked(page: str) -> str:
    found = re.findall(r"<mark id='cited'>(.*?)</mark>", page, re.S)
    assert len(found) == 1, found
    return html.unescape(re.sub(r"</?span[^>]*>", "", found[0]))  # the answer's span inside the passage
