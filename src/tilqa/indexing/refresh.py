"""Building the index: scan the corpus, and when the live index no longer fits it, stream the
documents through a `BuildWriter` (extracting only changed files, embedding only text no earlier
build embedded) and make the new build live atomically, all under the build lock."""

from __future__ import annotations

import logging
import shutil
import time

from ..config import Settings
from ..corpus import scan_corpus
from ..documents import SkippedFile
from ..embedding import Encoder
from ..errors import IndexCorruptError, IndexFormatError
from ..index.manifest import manifest_for, stale_reason
from ..index.records import BuildReport
from ..index.store import build_lock, live_build_dir, load_index, new_build_dir, publish, read_manifest
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
) -> BuildReport:
    """Bring `index/` up to date with the corpus and settings; rebuild only when needed, and
    then extract only changed files and embed only text no earlier build embedded.

    :raises CorpusError: when the corpus folder is missing or holds no readable document.
    :raises IndexLockedError: when another build holds the lock for longer than `lock_timeout`.
    """
    started, scanned_ns = time.perf_counter(), time.time_ns()
    files, unsupported = scan_corpus(settings.corpus_dir)
    hashes = {f.source: f.sha256 for f in files}
    index_dir = settings.index_dir
    with build_lock(index_dir, lock_timeout):
        reason = "forced rebuild" if force else why_rebuild(settings, hashes)
        if reason is None:
            manifest = read_manifest(live_build_dir(index_dir))  # type: ignore[arg-type]
            skipped = [*unsupported, *(SkippedFile(s, e["reason"]) for s, e in manifest.get("skipped", {}).items())]
            return BuildReport(
                False, "up to date", manifest.get("files_indexed", 0), tuple(sorted(skipped, key=by_source)),
                manifest.get("passages", 0), manifest.get("sentences", 0), 0, 0, time.perf_counter() - started,
            )
        log.info("building index: %s", reason)
        # Nothing is reused from a damaged build: which of its files are sound is not known.
        previous = PreviousBuild() if reason.startswith("index damaged") else previous_build(index_dir, settings.model)
        folder = new_build_dir(index_dir)
        writer = BuildWriter(folder, settings, embedder, previous)
        unreadable: list[SkippedFile] = []
        documents: dict[str, str] = {}
        extracted = 0
        try:
            for document, fresh in read_corpus(files, unreadable, previous, show_progress):
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
            True, reason, len(documents), tuple(skipped), writer.passages, writer.sentences,
            writer.embedded, writer.reused, time.perf_counter() - started, extracted,
        )


def why_rebuild(settings: Settings, files: dict[str, str]) -> str | None:
    """Why the live index must be rebuilt for `files` ({source: sha256}), or None."""
    build = live_build_dir(settings.index_dir)
    if build is None:
        return "no index yet"
    try:
        load_index(settings.index_dir)  # validates every file, not only the manifest
    except IndexFormatError as exc:
        return str(exc)
    except IndexCorruptError as exc:
        log.warning("index in %s is damaged: %s", settings.index_dir, exc)
        return f"index damaged: {exc}"
    return stale_reason(read_manifest(build), settings, files)
