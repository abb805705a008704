"""tilqa: extractive, cited answers to questions about a folder of documents.

    >>> import tilqa
    >>> answer = tilqa.ask("Which IL-2 product did Iovance acquire?")
    >>> answer.answer, answer.citations[0].source

Importing tilqa loads no model: the embedding model loads on the first question or build.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ._version import __version__
from .assistant import Assistant
from .config import DEFAULT_MODEL, Settings
from .errors import (
    CorpusError,
    IndexCorruptError,
    IndexLockedError,
    QuestionError,
    SettingsError,
    TilqaError,
)
from .index import BuildReport
from .results import Answer, Citation

__all__ = [
    "Answer",
    "Assistant",
    "BuildReport",
    "Citation",
    "CorpusError",
    "DEFAULT_MODEL",
    "IndexCorruptError",
    "IndexLockedError",
    "QuestionError",
    "Settings",
    "SettingsError",
    "TilqaError",
    "__version__",
    "ask",
    "build",
]

_assistants: dict[tuple[str, str], Assistant] = {}
_assistants_lock = threading.Lock()


def _assistant_for(corpus_dir: str | Path | None, index_dir: str | Path | None) -> Assistant:
    """One cached Assistant per (corpus, index) pair, so repeated calls reuse the loaded index."""
    settings = Settings.load(corpus_dir=corpus_dir, index_dir=index_dir)
    key = (str(settings.corpus_dir.resolve()), str(settings.index_dir.resolve()))
    with _assistants_lock:
        if key not in _assistants:
            _assistants[key] = Assistant(settings=settings)
        return _assistants[key]


def ask(
    question: str,
    top_k: int = 3,
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
) -> Answer:
    """Answer a question from the default corpus and index (`TILQA_CORPUS_DIR`,
    `TILQA_INDEX_DIR`), or from the folders given, building the index on first use."""
    return _assistant_for(corpus_dir, index_dir).ask(question, top_k)


def build(
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    model: str | None = None,
    force: bool = False,
) -> BuildReport:
    """Build or refresh the index of a corpus; only changed text is embedded again."""
    return Assistant(corpus_dir=corpus_dir, index_dir=index_dir, model=model).build(force=force)
