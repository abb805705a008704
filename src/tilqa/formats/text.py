"""Plain text: the file as it is, so that offsets match what a user reads back."""

from __future__ import annotations

from pathlib import Path

from .base import Extracted, ExtractionError


def decode_text(data: bytes) -> str:
    """UTF-8 text with `\\r\\n` and `\\r` turned into `\\n`, as `Path.read_text` gives it.

    Raises ExtractionError for a binary file (NUL bytes), text that is not UTF-8, or an empty
    file: the reasons tilqa has always given for skipping a text file.
    """
    if b"\x00" in data:
        raise ExtractionError("binary file (contains NUL bytes)")
    try:
        text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        raise ExtractionError(f"not valid UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise ExtractionError("empty file")
    return text


def extract_text(path: Path) -> Extracted:
    """The file's text unchanged; `headings` is None: the chunker finds headings itself."""
    return Extracted(text=decode_text(path.read_bytes()), format="text", headings=None)
