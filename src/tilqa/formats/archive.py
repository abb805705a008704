"""Zip-based formats (.docx) checked before they are parsed, from the archive's directory alone:
how many entries, how large inflated in all, and how much any large entry inflates, the limits
hardened zip readers use (Apache POI's ZipSecureFile: an inflation ratio of at most 100). An
archive bomb is refused before a byte of it is inflated.

Python's `zipfile` never inflates an entry past the size its directory declares (it fails the
CRC check instead), so the declared sizes summed here bound what a reader can inflate.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from .base import ExtractionError

# A .docx of a 500-page report has a few hundred entries (images, styles, relations).
MAX_ENTRIES = 10_000
# Inflated in all: a large real .docx (images stored as they are) stays well below this.
MAX_INFLATED_BYTES = 300_000_000
# Inflation ratio of an entry larger than RATIO_FROM_BYTES inflated: document XML compresses
# 5 to 20 times; 100 is Apache POI's limit (its MIN_INFLATE_RATIO of 0.01).
MAX_RATIO = 100
RATIO_FROM_BYTES = 1_000_000


def check_archive(path: Path, kind: str = "DOCX") -> None:
    """Refuse a zip archive whose directory promises more than a reader should inflate.

    :raises ExtractionError: naming the limit passed (or saying the archive is damaged).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise ExtractionError(f"unreadable {kind} (not a zip package: {exc})") from exc
    if len(entries) > MAX_ENTRIES:
        raise ExtractionError(f"the {kind} package has {len(entries):,} parts; the limit is {MAX_ENTRIES:,}")
    total = 0
    for entry in entries:
        total += entry.file_size
        if entry.file_size > RATIO_FROM_BYTES and entry.file_size > MAX_RATIO * max(entry.compress_size, 1):
            ratio = entry.file_size / max(entry.compress_size, 1)
            raise ExtractionError(
                f"an archive bomb? {entry.filename} inside the {kind} inflates {ratio:,.0f} times (to "
                f"{entry.file_size / 1e6:,.0f} MB); the limit is {MAX_RATIO} times"
            )
    if total > MAX_INFLATED_BYTES:
        raise ExtractionError(
            f"the {kind} inflates to {total / 1e6:,.0f} MB; the limit is {MAX_INFLATED_BYTES / 1e6:,.0f} MB"
        )
