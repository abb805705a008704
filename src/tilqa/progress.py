"""Progress bars for slow steps (tqdm.auto): shown on a terminal by default, never otherwise."""

from __future__ import annotations

import sys
from typing import Iterable, Sequence, TypeVar

T = TypeVar("T")


def progress(items: Sequence[T], show: bool | None, description: str, minimum: int = 2) -> Iterable[T]:
    """`items`, with a progress bar when `show` (default: stderr is a terminal and there are at
    least `minimum` items)."""
    if show is None:
        show = sys.stderr.isatty() and len(items) >= minimum
    if not show:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, desc=description, unit="file")
