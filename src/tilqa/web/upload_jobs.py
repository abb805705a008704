"""Upload jobs: files added from the chat page or the `/add` API are saved into the corpus
(`tilqa.uploads.add_file`), then indexed in the background, and each page is told the outcome."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..assistant import Assistant
from ..errors import UploadError
from ..formats import ExtractionLimits
from ..rebuild import RebuildWorker, Rebuilt
from ..removals import remove_file
from ..uploads import MEGABYTE, add_file
from .notices import Notices

log = logging.getLogger(__name__)


def upload_limit_bytes(assistant: Assistant) -> int:
    """The largest file an upload may add, in bytes (`max_upload_mb`)."""
    return int(assistant.settings.max_upload_mb * MEGABYTE)


@dataclass(frozen=True)
class Saved:
    """A file an upload put into the corpus: `name` as uploaded, `source` where it went."""

    name: str
    source: str


@dataclass(frozen=True)
class Indexed:
    """What indexing did with a saved file: its pages (PDF) and passages, or the `problem`."""

    name: str
    source: str
    pages: int | None = None
    passages: int = 0
    problem: str | None = None

    @property
    def message(self) -> str:
        renamed = f" (uploaded as {self.name})" if self.source != self.name else ""
        if self.problem is not None:
            return f"{self.source} was saved{renamed} but is not searchable: {self.problem}"
        counts = [f"{self.passages} passage{'s' if self.passages != 1 else ''}"]
        if self.pages is not None:
            counts.insert(0, f"{self.pages} page{'s' if self.pages != 1 else ''}")
        return f"added {self.source}: {', '.join(counts)}{renamed}; you can ask about it now"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "pages": self.pages, "passages": self.passages,
                "problem": self.problem}


class Indexer:
    """Rebuilds the index after uploads in one background thread (`RebuildWorker`), one build at a
    time (uploads arriving during a build share the next one); questions are answered from the old
    index until the new one is live."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._worker = RebuildWorker(assistant, after="an upload", name="tilqa-upload-index")

    def submit(self, saved: list[Saved]) -> Future[list[Indexed]]:
        """Index the saved files: the future gives what indexing did with each, once searchable."""
        future: Future[list[Indexed]] = Future()

        def summarise(build: Future[Rebuilt]) -> None:
            try:
                future.set_result([self._outcome(s, build.result()) for s in saved])
            except Exception as exc:  # noqa: BLE001 - handed to whoever waits
                log.exception("summarising an upload failed")
                future.set_exception(exc)

        self._worker.request().add_done_callback(summarise)
        return future

    def refresh(self) -> Future[Rebuilt]:
        """Rebuild the index (after a document was removed); the future gives how the build ended."""
        return self._worker.request()

    def _outcome(self, saved: Saved, rebuilt: Rebuilt) -> Indexed:
        if rebuilt.problem is not None or rebuilt.report is None:
            problem = f"the index could not be rebuilt ({rebuilt.problem}); it is added at the next build"
            return Indexed(name=saved.name, source=saved.source, problem=problem)
        try:
            summary = self._assistant.document_summary(saved.source)
        except KeyError:
            reasons = [s.reason for s in rebuilt.report.skipped if s.source == saved.source]
            return Indexed(name=saved.name, source=saved.source, problem=reasons[0] if reasons else "it was not indexed")
        return Indexed(name=saved.name, source=saved.source, pages=summary.pages, passages=summary.passages)


class UploadJobs:
    """Files added from the chat: each saved by `uploads.add_file` (refused with the reason when
    it cannot be), then indexed in the background by `Indexer`."""

    def __init__(self, assistant: Assistant) -> None:
        self.corpus_dir = assistant.settings.corpus_dir
        self.max_bytes = upload_limit_bytes(assistant)
        self.limits = ExtractionLimits.from_settings(assistant.settings)
        self.max_chars = assistant.settings.max_upload_chars
        self.indexer = Indexer(assistant)
        self.notices = Notices()

    def save(self, paths: list[str] | None) -> tuple[list[Saved], list[tuple[str, str]]]:
        """Save each uploaded file: (saved files, (name, reason) for each refused one)."""
        saved: list[Saved] = []
        refused: list[tuple[str, str]] = []
        for path in paths or []:
            name = Path(path).name
            try:
                target = add_file(self.corpus_dir, name, Path(path), self.max_bytes, self.limits, self.max_chars)
            except UploadError as exc:
                refused.append((name, str(exc)))
            except Exception:  # never a traceback in the page; the log keeps it
                log.exception("adding the upload %r failed", name)
                refused.append((name, f"{name} could not be added (see the server log)"))
            else:
                saved.append(Saved(name=name, source=target.name))
        return saved, refused

    def from_page(self, paths: list[str] | None, session: str) -> None:
        """An upload from the chat page: says what was saved or refused at once, and when the
        saved files can be asked about, through the page's notices."""
        saved, refused = self.save(paths)
        self.notices.post(session, *(f"not added: {reason}" for _, reason in refused))
        if not saved:
            return
        names = ", ".join(s.source for s in saved)
        self.notices.post(session, f"indexing {names}; the chat keeps answering from the other documents meanwhile")
        job = f"indexing {names}"
        self.notices.begin(session, job)

        def done(future: Future[list[Indexed]]) -> None:
            try:
                self.notices.post(session, *(i.message for i in future.result()))
            except Exception:  # noqa: BLE001 - logged by the indexer
                self.notices.post(session, f"indexing {names} failed (see the server log)")
            finally:
                self.notices.end(session, job)

        self.indexer.submit(saved).add_done_callback(done)

    def remove_from_page(self, source: str, session: str) -> None:
        """A document removed from the Documents panel: taken out of the corpus at once (refused
        with the reason when it cannot be), then out of the index in the background; the page is
        told both through its notices."""
        try:
            remove_file(self.corpus_dir, source)
        except UploadError as exc:
            self.notices.post(session, f"not removed: {exc}")
            return
        job = f"removing {source} from the index"
        self.notices.post(session, f"{job}; the chat keeps answering meanwhile")
        self.notices.begin(session, job)

        def done(future: Future[Rebuilt]) -> None:
            try:
                problem = future.result().problem
                self.notices.post(session, f"removed {source}: it is no longer searchable" if problem is None
                                  else f"{source} was removed from the corpus, but the index could not be "
                                  f"rebuilt ({problem}); it goes at the next build")
            finally:
                self.notices.end(session, job)

        self.indexer.refresh().add_done_callback(done)

    def from_api(self, paths: list[str] | None) -> dict[str, Any]:
        """An upload from a program: returns once the saved files are searchable."""
        saved, refused = self.save(paths)
        indexed = self.indexer.submit(saved).result() if saved else []
        return {
            "added": [i.to_dict() for i in indexed],
            "refused": [{"name": name, "reason": reason} for name, reason in refused],
        }
