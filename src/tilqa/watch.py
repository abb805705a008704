"""Watching the corpus folder: rebuild (incrementally) and reload when its files change."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from .assistant import Assistant
from .corpus import corpus_files
from .errors import TilqaError
from .rebuild import RebuildWorker

log = logging.getLogger(__name__)


def snapshot(corpus_dir: Path) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every corpus file: cheap to take, changes whenever a file does."""
    try:
        files = corpus_files(corpus_dir)
    except TilqaError:
        return {}
    out = {}
    for path in files:
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed while listing
            continue
        out[path.relative_to(corpus_dir).as_posix()] = (stat.st_mtime_ns, stat.st_size)
    return out


def watch_corpus(
    assistant: Assistant, interval: float = 2.0, stop: threading.Event | None = None
) -> threading.Thread:
    """Start a daemon thread that rebuilds the index when the corpus has changed and then stayed
    unchanged for one `interval` (debounce), so a copy in progress is not indexed half-written.
    Questions keep being answered from the old index until the new one is live; a change made
    during a build is built after it (`RebuildWorker`)."""
    stop = stop or threading.Event()
    corpus_dir = assistant.settings.corpus_dir
    initial = snapshot(corpus_dir)  # taken before returning, so no change after this call is missed
    worker = RebuildWorker(assistant, after="a corpus change", name="tilqa-corpus-rebuild")

    def loop() -> None:
        seen = initial
        pending: dict[str, tuple[int, int]] | None = None
        while not stop.wait(interval):
            now = snapshot(corpus_dir)
            if now == seen:
                pending = None
                continue
            if now != pending:  # still changing: wait for it to settle
                pending = now
                continue
            log.info("corpus changed; rebuilding the index")
            worker.request()
            seen, pending = now, None

    thread = threading.Thread(target=loop, name="tilqa-corpus-watch", daemon=True)
    thread.start()
    return thread
