"""Rebuilding the index in the background (the corpus watcher, the chat's uploads): one build at a
time, in one daemon thread that outlives any failed build, with the error handling they share."""

from __future__ import annotations

import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass

from .assistant import Assistant
from .errors import TilqaError
from .index import BuildReport

log = logging.getLogger(__name__)

SERVER_LOG = "see the server log"
"""The `Rebuilt.problem` of a build that failed unexpectedly (its traceback is logged)."""


@dataclass(frozen=True)
class Rebuilt:
    """How one background build ended: its `report`, or the `problem` that stopped it (the
    error's message, or `SERVER_LOG` when the traceback went to the log)."""

    report: BuildReport | None = None
    problem: str | None = None


def rebuild(assistant: Assistant, after: str) -> Rebuilt:
    """Bring `assistant`'s index up to date, logging the outcome; never raises, so the thread
    calling it keeps running. `after` says what prompted the build, for the log ("a corpus change")."""
    try:
        report = assistant.build()
    except TilqaError as exc:
        log.error("rebuild after %s failed: %s", after, exc)
        return Rebuilt(problem=str(exc))
    except Exception:  # a background thread must outlive any one failed build
        log.exception("rebuild after %s failed", after)
        return Rebuilt(problem=SERVER_LOG)
    log.info("rebuild after %s: %s", after, report.summary())
    return Rebuilt(report=report)


class RebuildWorker:
    """A daemon thread, started on the first request, that rebuilds `assistant`'s index when
    asked: one build at a time, and requests made during a build share the next one. Questions
    are answered from the old index until the new one is live.

    :param assistant: whose index to rebuild.
    :param after: what prompts the builds, for the log ("an upload").
    :param name: the thread's name.
    """

    def __init__(self, assistant: Assistant, after: str, name: str = "tilqa-rebuild") -> None:
        self._assistant, self._after, self._name = assistant, after, name
        self._requests: queue.Queue[Future[Rebuilt]] = queue.Queue()
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    def request(self) -> Future[Rebuilt]:
        """Ask for a build; the future is done (never with an exception) once it has ended."""
        future: Future[Rebuilt] = Future()
        self._requests.put(future)
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            waiting = [self._requests.get()]
            while not self._requests.empty():
                waiting.append(self._requests.get_nowait())
            rebuilt = rebuild(self._assistant, self._after)
            for future in waiting:
                future.set_result(rebuilt)
