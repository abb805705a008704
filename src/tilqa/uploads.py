"""Adding a file to the corpus from outside (the web chat's upload): a safe name, a size limit, and
a check that tilqa can read it, all before the file enters the corpus.

A file is first copied to a hidden temporary file inside the corpus folder (the corpus scan
ignores hidden files), read there with `formats.extract`, and only then linked under its final
name, which is never one that already exists. A refused file leaves the corpus as it was.
"""

from __future__ import annotations

import fcntl
import hashlib
import ipaddress
import logging
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from .corpus import corpus_files
from .errors import ExtractionError, UploadError
from .formats import SUFFIXES, ExtractionLimits, extract, extract_bounded

log = logging.getLogger(__name__)

MEGABYTE = 1_000_000
READABLE = ", ".join(sorted(SUFFIXES))
# Longest name kept (without its suffix): well under the 255 bytes a file name may have.
MAX_STEM_CHARS = 120
# "report.pdf" taken → "report-2.pdf" … up to this number, then the upload is refused.
MAX_NAME_TRIES = 1000
TEMP_PREFIX = ".tilqa-upload-"
_PLAIN = ("text", "markdown")  # formats whose text is the file's, so its size bounds it

_DISALLOWED = re.compile(r"[^\w\-. ]+")  # \w: letters and digits of any script, and "_"
_SPACES = re.compile(r"\s+")


def safe_name(name: str) -> str:
    """The name a file is saved under: the last path component of `name` only, with control
    characters removed, anything but letters, digits, `-`, `_`, `.` and space turned into `_`, and
    leading dots and spaces dropped (so never hidden, never `..`). May be "" when nothing is left."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
    name = _SPACES.sub(" ", _DISALLOWED.sub("_", name))
    name = name.lstrip(". _").rstrip(". ")
    stem, dot, suffix = name.rpartition(".")
    if dot and stem and len(stem) > MAX_STEM_CHARS:
        name = f"{stem[:MAX_STEM_CHARS].rstrip('. ')}.{suffix}"
    elif not dot and len(name) > MAX_STEM_CHARS:
        name = name[:MAX_STEM_CHARS]
    return name


def size_text(size: float) -> str:
    """Bytes in megabytes, as a person reads them: `61.2 MB`, `50 MB`, `0.3 MB`."""
    return f"{size / MEGABYTE:.1f}".removesuffix(".0") + " MB"


def add_file(
    corpus_dir: Path,
    name: str,
    data: Path,
    max_bytes: int,
    limits: ExtractionLimits | None = None,
    max_chars: int | None = None,
) -> Path:
    """Save the file `data`, uploaded as `name`, into the corpus folder, and return where it went.

    The name is made safe (`safe_name`), and a name already taken gets a number: `report.pdf`,
    then `report-2.pdf`, `report-3.pdf`… No existing file is ever overwritten. The file is read
    (`formats.extract`) before it enters the corpus, so a file tilqa cannot read never does.

    :param corpus_dir: the corpus folder; the file is saved at its top level.
    :param name: the name the file was uploaded under (any directories in it are dropped).
    :param data: the uploaded file's content, e.g. the web server's temporary copy.
    :param max_bytes: the largest file accepted.
    :param limits: read the file in a worker process within this memory and time budget
        (`formats.extract_bounded`); None reads it in this process.
    :param max_chars: the most characters of text a file may hold (indexing a long text holds
        the server's memory and a core for minutes); None for no limit.
    :raises UploadError: for a type tilqa does not read, a file larger than `max_bytes`, one that
        cannot be read (damaged, encrypted, a scan without text, empty, past the budget of
        `limits`), one with more text than `max_chars`, one already in the corpus
        with the same content, or a missing corpus folder; the corpus is then left as it was.
    """
    corpus_dir = Path(corpus_dir)
    clean = safe_name(name)
    shown = clean or "the file"
    stem, dot, suffix = clean.rpartition(".")
    suffix = f".{suffix}" if dot and stem else ""
    if suffix.lower() not in SUFFIXES:
        kind = f"{suffix} files" if suffix else "files without a type suffix"
        raise UploadError(f"{shown}: tilqa cannot read {kind}; it reads {READABLE}")
    try:
        size = Path(data).stat().st_size
    except OSError as exc:
        raise UploadError(f"{shown} cannot be read ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise UploadError(f"{shown} is {size_text(size)}; the limit is {size_text(max_bytes)}")
    if not corpus_dir.is_dir():
        raise UploadError("the corpus folder is missing, so no file can be added")

    if max_chars is not None and SUFFIXES[suffix.lower()] in _PLAIN and size > 4 * max_chars:
        # UTF-8 takes at most 4 bytes a character: this much plain text is too long unread.
        raise UploadError(_too_long(shown, f"at least {size // 4:,}", max_chars))
    temp, handle = _copy_hidden(Path(data), corpus_dir, suffix.lower())
    try:
        try:
            extracted = extract(temp) if limits is None else extract_bounded(temp, limits)
        except ExtractionError as exc:
            raise UploadError(f"{shown} cannot be read: {exc}") from None
        if max_chars is not None and len(extracted.text) > max_chars:
            raise UploadError(_too_long(shown, f"{len(extracted.text):,}", max_chars))
        _refuse_duplicate(temp, corpus_dir, shown)
        return _publish(temp, corpus_dir, clean)
    finally:
        temp.unlink(missing_ok=True)
        os.close(handle)


def _too_long(shown: str, count: str, max_chars: int) -> str:
    return (f"{shown} holds {count} characters of text; the chat adds documents of up to {max_chars:,} "
            "(put a larger one in the corpus folder and run `tilqa build`)")


def _copy_hidden(data: Path, corpus_dir: Path, suffix: str) -> tuple[Path, int]:
    """A hidden copy of `data` in the corpus folder (created exclusively, so never shared), and
    a descriptor holding a lock on it, which tells `remove_upload_debris` it is in use."""
    handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=suffix, dir=corpus_dir)
    temp = Path(name)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        with Path(data).open("rb") as source:
            while block := source.read(1 << 20):
                _write_all(handle, block)
        os.fsync(handle)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        os.close(handle)
        raise UploadError(f"the file could not be saved ({exc.strerror or exc})") from exc
    return temp, handle


def _write_all(handle: int, block: bytes) -> None:
    view = memoryview(block)
    while view:
        view = view[os.write(handle, view):]


def remove_upload_debris(corpus_dir: Path) -> int:
    """Remove the hidden temporary files uploads cut off by a crash left in the corpus folder
    (those no upload holds locked); returns how many were removed."""
    removed = 0
    for temp in Path(corpus_dir).glob(f"{TEMP_PREFIX}*"):
        try:
            handle = os.open(temp, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # an upload in progress
            continue
        else:
            temp.unlink(missing_ok=True)
            removed += 1
        finally:
            os.close(handle)
    if removed:
        log.info("removed %d temporary file(s) left in %s by uploads cut off", removed, corpus_dir)
    return removed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _refuse_duplicate(temp: Path, corpus_dir: Path, shown: str) -> None:
    """:raises UploadError: when a corpus file has exactly this content (it would be cited twice)."""
    size = temp.stat().st_size
    same_size = []
    for path in corpus_files(corpus_dir):
        try:
            if path.stat().st_size == size:
                same_size.append(path)
        except OSError:  # removed while listing
            continue
    if not same_size:
        return
    digest = _sha256(temp)
    for path in same_size:
        try:
            if _sha256(path) == digest:
                existing = path.relative_to(corpus_dir).as_posix()
                raise UploadError(f"{shown} is already in the corpus, as {existing}")
        except OSError:
            continue


def _publish(temp: Path, corpus_dir: Path, name: str) -> Path:
    """Give `temp` its final name, the first of `name`, `name-2`, … that nothing has: a hard
    link fails when the name exists, so two uploads at once never take the same one."""
    base, suffix = os.path.splitext(name)
    for number in range(1, MAX_NAME_TRIES + 1):
        target = corpus_dir / (f"{base}{suffix}" if number == 1 else f"{base}-{number}{suffix}")
        try:
            os.link(temp, target)
        except FileExistsError:
            continue
        except OSError:  # a file system without hard links: reserve the name, then replace it
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(temp, target)
        _readable_by_all(target)
        log.info("added %s to the corpus", target.name)
        return target
    raise UploadError(f"{base}{suffix}: too many files with this name already; rename it first")


def _readable_by_all(path: Path) -> None:
    """mkstemp makes the file private (0600); a corpus file gets the usual 0644 (the corpus
    folder's own permissions still decide who can reach it)."""
    try:
        os.chmod(path, 0o644)
    except OSError as exc:
        log.warning("could not make %s readable: %s", path.name, exc)


def is_loopback(host: str) -> bool:
    """Whether `host` only accepts connections from this machine: `localhost`, 127.0.0.0/8, ::1."""
    host = host.strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uploads_allowed(mode: str, host: str, login: bool) -> bool:
    """Whether the web chat takes uploads: never with `mode` "off"; with "auto", when it is served
    on a loopback address (only this machine's users reach it) or behind a login.

    :param mode: the `uploads` setting, "auto" or "off".
    :param host: the address the server binds.
    :param login: whether a login (`--auth`) is required.
    """
    if mode == "off":
        return False
    return is_loopback(host) or login
