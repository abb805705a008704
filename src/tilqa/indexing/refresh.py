"""Building the index: scan the corpus, and when the live index no longer fits it (as
`index.check_index` decides), stream the documents through a `BuildWriter` (extracting only
changed files, embedding only text no earlier build embedded) and make the new build live
atomically, all under the build lock."""

from __future__ import annotations

import logging
import shutil
import time

from ..config import Settings
from ..corpus import scan_corpus
from ..documents import SkippedFile
from ..encoders import Encoder
from ..formats import ExtractionLimits
from ..index.manifest import manifest_for
from ..index.records import BuildReport
from ..index.staleness import IndexCheck, check_index
from ..index.store import build_lock, current_build, new_build_dir, publish
from .previous import PreviousBuild, previous_build
from .reading import by_source, read_corpus, require_documents, warn_skipped
from .writer import BuildWriter

log = logging.getLogger(__name__)


def refresh_index(
    settings: Settings,
    embedder: Encoder,
    force: bool = False,
    show_progress: bool | None = None,
    lock_timeout: float = 600.0,
    checked: IndexCheck | None = None,
) -> BuildReport:
    """Bring `index/` up to date with the corpus and settings; rebuild only when needed, and
    then extract only changed files and embed only text no earlier build embedded.

    :param force: rebuild even when the index is up to date.
    :param show_progress: progress bars (default: only on a terminal).
    :param lock_timeout: seconds to wait for another build's lock.
    :param checked: a `check_index` the caller has just made; trusted when the live build is
        still the one it examined, so that the index is not opened again.
    :raises CorpusError: when the corpus folder is missing or holds no readable document.
    :raises IndexLockedError: when another build holds the lock for longer than `lock_timeout`.
    """
    started, scanned_ns = time.perf_counter(), time.time_ns()
    files, unsupported = scan_corpus(settings.corpus_dir)
    hashes = {f.source: f.sha256 for f in files}
    index_dir = settings.index_dir
    with build_lock(index_dir, lock_timeout):
        check = None if force else _still_valid(checked, settings) or check_index(settings, hashes)
        if check is not None and check.reason is None:
            assert check.data is not None
            manifest = check.data.manifest
            recorded = (SkippedFile(source=s, reason=e["reason"]) for s, e in manifest.get("skipped", {}).items())
            return BuildReport(
                rebuilt=False, reason="up to date", files=manifest.get("files_indexed", 0),
                skipped=tuple(sorted([*unsupported, *recorded], key=by_source)),
                passages=manifest.get("passages", 0), sentences=manifest.get("sentences", 0),
                embedded=0, reused=0, seconds=time.perf_counter() - started,
            )
        reason = "forced rebuild" if check is None else check.reason
        log.info("building index: %s", reason)
        # Nothing is reused from a damaged build: which of its files are sound is not known.
        if check is not None and check.damaged:
            previous = PreviousBuild()
        else:
            previous = previous_build(index_dir, settings.model, check.data if check is not None else None)
        folder = new_build_dir(index_dir)
        writer = BuildWriter(folder, settings, embedder, previous)
        unreadable: list[SkippedFile] = []
        documents: dict[str, str] = {}
        extracted = 0
        try:
            for document, fresh in read_corpus(
                files, unreadable, previous, show_progress, ExtractionLimits.from_settings(settings)
            ):
                writer.add(document)
                documents[document.source] = document.sha256
                extracted += fresh
            skipped = sorted([*unsupported, *unreadable], key=by_source)
            warn_skipped(skipped)
            require_documents(settings.corpus_dir, list(documents), skipped)
            described = writer.finish()
        except BaseException:
            writer.close()
            shutil.rmtree(folder, ignore_errors=True)
            raise
        counts = {"files_indexed": len(documents), "passages": writer.passages, "sentences": writer.sentences}
        manifest = manifest_for(
            settings, documents,
            {s.source: {"sha256": hashes[s.source], "reason": s.reason} for s in unreadable},
            described.pop("dimension"), counts, files, scanned_ns,
        ) | described
        publish(index_dir, folder, manifest)
        return BuildReport(
            rebuilt=True, reason=reason, files=len(documents), skipped=tuple(skipped),
            passages=writer.passages, sentences=writer.sentences, embedded=writer.embedded,
            reused=writer.reused, seconds=time.perf_counter() - started, extracted=extracted,
        )


def _still_valid(checked: IndexCheck | None, settings: Settings) -> IndexCheck | None:
    """`checked` when the build it examined is still the live one (nothing replaced it since)."""
    if checked is not None and checked.build_id == current_build(settings.index_dir):
        return checked
    return None
