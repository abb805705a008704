"""tilqa: extractive, cited answers to questions about a folder of documents.

    >>> import tilqa
    >>> answer = tilqa.ask("Which IL-2 product did Iovance acquire?")
    >>> answer.answer, answer.citations[0].source

Importing tilqa loads no model: the embedding model loads on the first question or build.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

from ._version import __version__
from .assistant import Assistant, DocumentSummary, Explanation
from .config import DEFAULT_MODEL, Settings
from .encoders import Encoder
from .errors import (
    ClusterError,
    CorpusError,
    EvalFileError,
    ExtractionError,
    IndexCorruptError,
    IndexFormatError,
    IndexLockedError,
    QuestionError,
    SettingsError,
    TilqaError,
    UploadError,
)
from .index import BuildReport
from .results import Answer, Citation

__all__ = [
    "Answer",
    "Assistant",
    "BuildReport",
    "Citation",
    "ClusterError",
    "CorpusError",
    "DEFAULT_MODEL",
    "DocumentSummary",
    "Encoder",
    "EvalFileError",
    "Explanation",
    "ExtractionError",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexLockedError",
    "QuestionError",
    "Settings",
    "SettingsError",
    "TilqaError",
    "UploadError",
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
    history: Sequence[Answer | str] | None = None,
) -> Answer:
    """Answer a question from the default corpus and index (`TILQA_CORPUS_DIR`,
    `TILQA_INDEX_DIR`), or from the folders given, building the index on first use.

    :param question: the question, as a user would type it.
    :param top_k: how many passages to cite.
    :param history: the conversation's earlier `Answer`s, oldest first: a follow-up ("why?",
        "when did it start?") is understood from them (`Answer.understood_as`).
    :param corpus_dir: the folder of documents (default: `corpus/` or `TILQA_CORPUS_DIR`).
    :param index_dir: where the index is kept (default: `index/` or `TILQA_INDEX_DIR`).
    :raises QuestionError: for an empty question or a `top_k` below 1.
    :raises CorpusError: when the corpus folder is missing or holds no readable document.
    """
    return _assistant_for(corpus_dir, index_dir).ask(question, top_k, history=history)


def build(
    corpus_dir: str | Path | None = None,
    index_dir: str | Path | None = None,
    model: str | None = None,
    force: bool = False,
) -> BuildReport:
    """Build or refresh the index of a corpus; only changed text is embedded again.

    :param corpus_dir: the folder of documents (default: `corpus/` or `TILQA_CORPUS_DIR`).
    :param index_dir: where the index is kept (default: `index/` or `TILQA_INDEX_DIR`).
    :param model: a sentence-transformers model name or path (default: the bundled MiniLM).
    :param force: rebuild even when the index is up to date.
    :raises CorpusError: when the corpus folder is missing or holds no readable document.
    :raises IndexLockedError: when another process holds the build lock for too long.
    """
    return Assistant(corpus_dir=corpus_dir, index_dir=index_dir, model=model).build(force=force)
