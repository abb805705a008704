"""Progress bars for slow steps (tqdm.auto): shown on a terminal by default, never otherwise."""

from __future__ import annotations

import contextlib
import sys
from typing import Any, Iterable, Iterator, Sequence, TypeVar

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


@contextlib.contextmanager
def text_progress(total: int, show: bool | None, description: str) -> Iterator[Any]:
    """A tqdm bar counting `total` texts (default: only on a terminal, for more than one), or
    None; the caller calls `update(n)` on it."""
    if show is None:
        show = sys.stderr.isatty() and total > 1
    if not show:
        yield None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=description, unit="text") as bar:
        yield bar
