"""Reading files in a worker process with a memory and time budget, so a hostile or pathological
file (a PDF whose streams inflate without end, a page that takes lxml minutes) fails alone, with
a message saying which budget it passed, while the process that asked keeps its memory and runs on.

One worker process per `ExtractionLimits`, started on first use (a fresh interpreter running
`_serve`, never a fork of a server's threads) and kept for the next file; its address space is capped with
`RLIMIT_AS` (what the readers take once loaded, plus `memory_mb`), and it is killed and replaced
after a file that ran out of time or memory. Files are read one at a time: callers queue on a lock.
"""

from __future__ import annotations

import logging
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from .base import Extracted, ExtractionError

if TYPE_CHECKING:
    from ..config import Settings

log = logging.getLogger(__name__)

# How long a new worker may take to start and load the readers (not counted in a file's time).
START_SECONDS = 120.0
# The readers' libraries, loaded in the worker before its memory is capped (a reader whose
# library is missing simply fails on its own files).
_PRELOAD = ("lxml.etree", "docx", "trafilatura", "pypdfium2", "markdown_it", "charset_normalizer")
_HEADER = struct.Struct("!Q")
_WORKER_MAIN = "import sys; from tilqa.formats.worker import _serve; _serve(int(sys.argv[1]))"


@dataclass(frozen=True)
class ExtractionLimits:
    """The budget of reading one file: `memory_mb` megabytes of memory above what the readers
    take loaded, and `seconds` of wall time (`Settings.extract_memory_mb`, `extract_seconds`)."""

    memory_mb: int = 1000
    seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractionLimits:
        """The budget `settings` give (`extract_memory_mb`, `extract_seconds`)."""
        return cls(memory_mb=settings.extract_memory_mb, seconds=settings.extract_seconds)


def _vm(field: str = "VmSize") -> int:
    """This process's address space in bytes: now (VmSize) or at its largest (VmPeak)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _write(stream: IO[bytes], message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)) + data)
    stream.flush()


def _read(stream: IO[bytes]) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError
    size = _HEADER.unpack(header)[0]
    data = stream.read(size)
    if len(data) < size:
        raise EOFError
    return pickle.loads(data)


def _out_of_memory(exc: BaseException) -> bool:
    """Whether `exc` was caused by running out of memory (a reader may wrap the MemoryError)."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, MemoryError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1  # type: ignore[assignment]
    return False


def _serve(memory_bytes: int) -> None:
    """The worker process's loop: preload the readers, cap the
    address space, then read each path sent on stdin, answering on stdout."""
    import importlib
    import resource

    from . import extract

    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a library prints may reach the replies
    for name in _PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - a missing reader fails on its own files
            pass
    cap = _vm() + memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    # A C library out of memory may report anything (lxml: "XMLSyntaxError: unknown error"): a
    # failure whose address space came this close to the cap counts as out of memory.
    margin = min(64 << 20, memory_bytes // 4)
    _write(replies, "ready")
    while True:
        try:
            path = _read(requests)
        except EOFError:
            return
        peak = _vm("VmPeak")

        def near_cap() -> bool:  # this file took the address space (a new peak) close to the cap
            now = _vm("VmPeak")
            return now > peak and now + margin >= cap

        try:
            reply: tuple[str, Any] = ("ok", extract(Path(path)))
        except MemoryError:
            reply = ("memory", None)
        except ExtractionError as exc:  # readers wrap what their library raised, MemoryError too
            memory = _out_of_memory(exc) or near_cap()
            reply = ("memory", None) if memory else ("error", str(exc))
        except ValueError as exc:
            reply = ("value", str(exc))
        except Exception as exc:  # noqa: BLE001 - any reader failure is this file's problem
            reply = ("memory", None) if near_cap() else ("error", f"unreadable file ({type(exc).__name__}: {exc})")
        try:
            _write(replies, reply)
        except MemoryError:
            reply = ("memory", None)
            _write(replies, reply)
        if reply[0] == "memory":
            return  # start afresh: a reader may have been left half-way


class _Worker:
    def __init__(self, limits: ExtractionLimits) -> None:
        self.limits = limits
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self.process is None or self.process.poll() is not None:
            self._stop()
            package_root = str(Path(__file__).resolve().parents[2])
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
            self.process = subprocess.Popen(
                [sys.executable, "-c", _WORKER_MAIN, str(self.limits.memory_mb * 1024 * 1024)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, close_fds=True,
            )
            assert self.process.stdout is not None
            ready, _, _ = select.select([self.process.stdout], [], [], START_SECONDS)
            try:
                if not ready or _read(self.process.stdout) != "ready":
                    raise EOFError
            except (EOFError, OSError, pickle.UnpicklingError):
                self._stop()
                raise ExtractionError("the reader process could not start (see the server log)") from None
        return self.process

    def _stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait(10)
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()

    def extract(self, path: Path) -> Extracted:
        with self.lock:
            process = self._start()
            assert process.stdin is not None and process.stdout is not None
            try:
                _write(process.stdin, str(path))
                ready, _, _ = select.select([process.stdout], [], [], self.limits.seconds)
                if not ready:
                    self._stop()
                    log.warning("reading %s took longer than %.0f s: stopped", path, self.limits.seconds)
                    raise ExtractionError(f"reading it took longer than {self.limits.seconds:g} s, the limit")
                kind, value = _read(process.stdout)
            except (EOFError, OSError, pickle.UnpicklingError):
                code = process.wait(10)
                self._stop()
                raise ExtractionError(
                    f"the reader stopped on it (exit {code}); it may need more than {self.limits.memory_mb} MB "
                    "of memory, the limit"
                ) from None
            if kind == "memory":
                self._stop()
                raise ExtractionError(f"reading it needs more than {self.limits.memory_mb} MB of memory, the limit")
            if kind == "value":
                raise ValueError(value)
            if kind == "error":
                raise ExtractionError(value)
            return value

    def close(self) -> None:
        with self.lock:
            self._stop()


_workers: dict[ExtractionLimits, _Worker] = {}
_workers_lock = threading.Lock()


def extract_bounded(path: Path, limits: ExtractionLimits) -> Extracted:
    """`formats.extract(path)` in the worker process of `limits`: the same text, or
    ExtractionError when the file cannot be read, or passes the memory or time budget (the
    worker is then replaced). Files are read one at a time, in the order asked.

    :raises ValueError: for a file type tilqa does not read.
    """
    with _workers_lock:
        worker = _workers.get(limits)
        if worker is None:
            worker = _workers[limits] = _Worker(limits)
    return worker.extract(Path(path).resolve())


def stop_workers() -> None:
    """Stop every worker process (they are daemons, stopped at exit anyway)."""
    with _workers_lock:
        workers = list(_workers.values())
    for worker in workers:
        worker.close()
