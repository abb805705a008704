"""The assistant: keeps a loaded index fresh and answers questions from it."""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .answering import AnswerExtractor, Candidate, Extraction, alternative_citations, answer_text, cite
from .config import Settings
from .documents import SkippedFile
from .encoders import Encoder, make_encoder
from .errors import QuestionError
from .followups import Turn, understand
from .index import BuildReport, IndexData, check_index, current_build, load_index
from .question import clean_question
from .results import Answer
from .retrieval import Hit, Retriever
from .token_scoring import QuestionTokens, content_mask

log = logging.getLogger(__name__)

RELOAD_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class Explanation:
    """How `Assistant.ask` reached its answer: what it retrieved and how it scored each sentence.

    `candidates` are the sentences of the first `answer_passages` hits, best first, each with
    the features its score is made of; `answers[i]` is the text candidate i would answer with
    (with the neighbour it is paired with); `extraction` is the answer chosen, or None when no
    passage was retrieved.
    """

    question: str
    vector: np.ndarray
    hits: tuple[Hit, ...]
    candidates: tuple[Candidate, ...]
    answers: tuple[str, ...]
    extraction: Extraction | None
    index: IndexData


@dataclass(frozen=True)
class _Loaded:
    """One index with everything built from it; replaced whole, never mutated."""

    data: IndexData
    retriever: Retriever
    extractor: AnswerExtractor


@dataclass(frozen=True)
class DocumentSummary:
    """One corpus file as the index holds it (`Assistant.document_summary`): its `format`
    ("pdf", "docx", …), its page count (`pages`, PDFs only, else None) and how many passages it
    was cut into."""

    source: str
    format: str
    pages: int | None
    passages: int
    modified: str | None = None  # the file's modification time (UTC, ISO 8601), None when it is gone

    def to_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return dataclasses.asdict(self)


class Assistant:
    """Answers questions from one corpus and index; safe to share between threads.

    The index is built on first use if it is missing, damaged or stale, and reloaded when another
    process (`tilqa build`) replaces it; questions asked meanwhile are answered from the old one.

    :param corpus_dir: the folder of documents (default: `settings.corpus_dir`).
    :param index_dir: where the index is kept (default: `settings.index_dir`).
    :param model: a sentence-transformers model name or path (default: the bundled MiniLM).
    :param settings: everything else (default: `Settings.load()`: defaults, then environment).
    :param embedder: the encoder to embed with (default: one for `model`); its `model_name`
        becomes the settings' model, so an index is never shared between two encoders.
    :raises SettingsError: for a setting tilqa cannot use. Nothing is loaded until the first
        question or build.
    """

    def __init__(
        self,
        corpus_dir: str | Path | None = None,
        index_dir: str | Path | None = None,
        model: str | None = None,
        settings: Settings | None = None,
        embedder: Encoder | None = None,
    ) -> None:
        overrides = {"corpus_dir": corpus_dir, "index_dir": index_dir, "model": model}
        chosen = dataclasses.replace(
            settings or Settings.load(), **{k: v for k, v in overrides.items() if v is not None}
        )
        self.embedder: Encoder = embedder or make_encoder(chosen)
        # The index is keyed by the encoder's name: "all-MiniLM-L6-v2" on ONNX Runtime and on
        # torch (the same vectors), "all-MiniLM-L6-v2#int8" quantized.
        self.settings = dataclasses.replace(chosen, model=self.embedder.model_name)
        self._loaded: _Loaded | None = None
        self._load_lock = threading.Lock()
        self._last_check = 0.0

    # -- index -----------------------------------------------------------------------------

    def build(self, force: bool = False, show_progress: bool | None = None) -> BuildReport:
        """Bring the index up to date with the corpus (embedding only what changed) and load it.

        :param force: rebuild even when the index is up to date.
        :param show_progress: progress bars (default: only on a terminal).
        :raises CorpusError: when the corpus folder is missing or holds no readable document.
        :raises IndexLockedError: when another process holds the build lock for too long.
        """
        from .indexing import refresh_index  # the build side: extraction, chunking, writing

        report = refresh_index(self.settings, self.embedder, force=force, show_progress=show_progress)
        with self._load_lock:
            loaded = self._loaded
            if report.rebuilt or loaded is None or current_build(self.settings.index_dir) != loaded.data.build_id:
                self._install(load_index(self.settings.index_dir))
        return report

    def _install(self, data: IndexData) -> None:
        retriever = Retriever(data, self.settings)
        self._loaded = _Loaded(data, retriever, AnswerExtractor(data, self.settings.sentence_scoring))
        self._last_check = time.monotonic()
        log.info("answering from index build %s (%d passages)", data.build_id, len(data.passages))

    def _ensure_loaded(self) -> _Loaded:
        loaded = self._loaded
        if loaded is None:
            with self._load_lock:
                if self._loaded is None:
                    self._install(self._fresh_index())
            loaded = self._loaded
            assert loaded is not None
        elif time.monotonic() - self._last_check > RELOAD_CHECK_SECONDS:
            self._reload_if_replaced(loaded)
            loaded = self._loaded or loaded
        return loaded

    def _fresh_index(self) -> IndexData:
        """The saved index when it fits corpus and settings (`check_index` decides, opening it
        once); else rebuilt first, the build side imported only then."""
        check = check_index(self.settings)
        if check.reason is None:
            assert check.data is not None
            return check.data
        log.info("index needs a rebuild: %s", check.reason)
        from .indexing import refresh_index  # the build side: extraction, chunking, writing

        report = refresh_index(self.settings, self.embedder, checked=check)
        log.info("%s", report.summary())
        return load_index(self.settings.index_dir)

    def _reload_if_replaced(self, loaded: _Loaded) -> None:
        """Load a build that another process made live; one thread loads, the rest go on."""
        if not self._load_lock.acquire(blocking=False):
            return
        try:
            self._last_check = time.monotonic()
            if current_build(self.settings.index_dir) == loaded.data.build_id:
                return
            log.info("index was replaced on disk; reloading")
            # Checked like a first load: a damaged build, or one made with another model or
            # chunking, is rebuilt rather than answered from.
            self._install(self._fresh_index())
        finally:
            self._load_lock.release()

    def document_text(self, source: str) -> str:
        """The text tilqa extracted from a corpus file: what citation offsets index into, so
        `document_text(c.source)[c.start:c.end] == c.text` for every citation.

        :raises KeyError: when the index holds no document `source`.
        """
        documents = self._ensure_loaded().data.documents
        if source not in documents:
            raise KeyError(f"no document {source!r} in the index")
        return documents[source].text

    def document_summary(self, source: str) -> DocumentSummary:
        """What the index holds of the corpus file `source` (its format, pages and passage
        count), e.g. for telling a user what an upload added, without reading the index's tables.

        :raises KeyError: when the index holds no document `source` (never indexed, or removed).
        """
        data = self._ensure_loaded().data
        document = data.documents.get(source)
        if document is None:
            raise KeyError(f"no document {source!r} in the index")
        passages = int((data.passages.rows["source"] == data.documents.number(source)).sum())
        pages = len(document.pages) if document.format == "pdf" else None
        try:
            stamp = (self.settings.corpus_dir / source).stat().st_mtime
            modified: str | None = datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds")
        except OSError:
            modified = None
        return DocumentSummary(
            source=source, format=document.format, pages=pages, passages=passages, modified=modified
        )

    def documents(self) -> list[DocumentSummary]:
        """Every document the index holds, by source (what a Documents panel or `/api/documents` lists)."""
        return [self.document_summary(source) for source in sorted(self._ensure_loaded().data.documents)]

    def skipped_files(self) -> list[SkippedFile]:
        """The corpus files the index left out, each with the reason (unreadable, empty, …)."""
        skipped = self._ensure_loaded().data.manifest.get("skipped", {})
        return [SkippedFile(source=source, reason=str(entry.get("reason", ""))) for source, entry in sorted(skipped.items())]

    @property
    def index(self) -> IndexData:
        """The loaded index (built first if missing or stale): its records, vectors and manifest."""
        return self._ensure_loaded().data

    # -- questions -------------------------------------------------------------------------

    def ask(self, question: str, top_k: int | None = None, history: Sequence[Any] | None = None) -> Answer:
        """Answer `question` with a sentence copied from the corpus and up to `top_k` citations.

        With `history`, the earlier turns of the conversation (oldest first: `Answer`s, their
        `to_dict()`s, or bare earlier questions), a follow-up that leans on the turn before
        ("when did it start?", "why?", "and in cervical cancer?") is made self-contained from it
        (`tilqa.followups.understand`) and that is searched: `Answer.understood_as` says what was.
        A question that leans on nothing is searched as typed.

        Below `min_confidence` the corpus is taken not to answer: `found` is False, the answer
        empty, and the closest passages are cited all the same. A question longer than
        `max_question_chars` is cut and a `top_k` above `max_top_k` is lowered, each said in
        `Answer.notes`.

        :param question: the question, as a user typed it.
        :param top_k: how many passages to cite (default: `settings.top_k`).
        :param history: the conversation's earlier turns, oldest first (default: none).
        :raises QuestionError: for an empty or non-text question, a `top_k` below 1, or a
            history that is not a list of earlier answers or questions.
        :raises CorpusError: when the index has to be built and the corpus folder is missing or
            holds no readable document.
        """
        typed, notes = clean_question(question, self.settings.max_question_chars)
        k, k_note = self._clamp_top_k(top_k)
        notes += k_note
        text = understand(typed, Turn.history(history)) if history else typed
        if text != typed:
            log.debug("follow-up %r understood as %r", typed, text)
        loaded = self._ensure_loaded()
        vector, tokens = self.encode_question(text)
        hits = loaded.retriever.search(text, vector, max(k, self.settings.answer_passages))
        extraction = loaded.extractor.extract(text, vector, hits[: self.settings.answer_passages], tokens)
        if extraction is None:
            return Answer(
                question=typed, answer="", found=False, confidence=0.0, citations=[], notes=notes, understood_as=text
            )
        found = extraction.confidence >= self.settings.min_confidence
        citations = cite(loaded.data, extraction, hits, k, found)
        return Answer(
            question=typed,
            answer=answer_text(citations),
            found=found,
            confidence=round(extraction.confidence, 4),
            citations=citations,
            notes=notes,
            alternatives=alternative_citations(loaded.data, extraction) if found else [],
            understood_as=text,
        )

    def explain(self, question: str) -> Explanation:
        """What `ask` weighs for `question`: the passages retrieved and every candidate sentence
        scored, with its features, best first, and the answer they give before any is declined
        (for measuring and tuning, not for users; benchmarks read their features here).

        :raises QuestionError: for an empty or non-text question.
        """
        text, _ = clean_question(question, self.settings.max_question_chars)
        loaded = self._ensure_loaded()
        vector, tokens = self.encode_question(text)
        hits = loaded.retriever.search(text, vector, self.settings.answer_passages)
        candidates = loaded.extractor.candidates(text, vector, hits, tokens)
        sentences = loaded.data.sentences
        answers = tuple(
            " ".join(sentences[r].text for r in loaded.extractor.answer_rows(c.sentence, c.hit)) for c in candidates
        )
        extraction = loaded.extractor.extract(text, vector, hits, tokens)
        return Explanation(
            question=text,
            vector=vector,
            hits=tuple(hits),
            candidates=tuple(candidates),
            answers=answers,
            extraction=extraction,
            index=loaded.data,
        )

    def encode_question(self, text: str) -> tuple[np.ndarray, QuestionTokens | None]:
        """The question's vector, and its token vectors when answers are scored by tokens."""
        if not self.settings.token_scoring:
            return self.embedder.encode([text], show_progress=False)[0], None
        vectors, tokens = self.embedder.encode_with_tokens([text], show_progress=False)
        ids = tokens[0].ids
        content = content_mask(self.embedder.token_strings(ids))
        return vectors[0], QuestionTokens(ids=ids, vectors=tokens[0].vectors, content=content)

    def _clamp_top_k(self, top_k: int | None) -> tuple[int, list[str]]:
        """`top_k` checked and lowered to `max_top_k`, with a note when it was."""
        if top_k is None:
            return self.settings.top_k, []
        if isinstance(top_k, bool) or not isinstance(top_k, int):
            raise QuestionError(f"top_k must be a whole number, not {top_k!r}")
        if top_k < 1:
            raise QuestionError(f"top_k must be at least 1 (got {top_k})")
        if top_k > self.settings.max_top_k:
            return self.settings.max_top_k, [f"top_k lowered from {top_k} to {self.settings.max_top_k}"]
        return top_k, []
