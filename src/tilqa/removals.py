"""Removing a document from the corpus from outside (the web chat's Documents panel), under the
same rule as adding one (`uploads.uploads_allowed`): only a file the corpus scan lists can go, by
its corpus-relative name, never a path the caller makes up.

The file is unlinked (a link is removed, never what it points to); the index drops it at the next
build, which the caller starts."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from .corpus import corpus_files
from .errors import CorpusError, UploadError

log = logging.getLogger(__name__)


def removable_files(corpus_dir: Path) -> list[str]:
    """The corpus files that can be removed, by corpus-relative name (POSIX separators), sorted."""
    corpus_dir = Path(corpus_dir)
    try:
        return [p.relative_to(corpus_dir).as_posix() for p in corpus_files(corpus_dir)]
    except CorpusError:
        return []


def remove_file(corpus_dir: Path, source: str) -> Path:
    """Remove the corpus file named `source` (as the index and the corpus scan name it) and return
    the path it had.

    :raises UploadError: when no corpus file has that name (a path outside the corpus, a hidden
        file, a type tilqa does not read, or one already removed), or it cannot be removed.
    """
    corpus_dir = Path(corpus_dir)
    if not source or source not in removable_files(corpus_dir):
        raise UploadError(f"{source or 'the document'} is not in the corpus (it may have been removed already)")
    path = corpus_dir / source
    try:
        os.unlink(path)  # a symbolic link goes, not its target
    except FileNotFoundError:
        raise UploadError(f"{source} is not in the corpus (it may have been removed already)") from None
    except OSError as exc:
        raise UploadError(f"{source} could not be removed ({exc.strerror or exc})") from exc
    log.info("removed %s from the corpus", source)
    return path
