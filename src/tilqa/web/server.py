"""Serving the chat: `launch` builds the index, loads the model and serves the page with its
guards (body limit, login) and the source view, on this machine only unless told otherwise."""

from __future__ import annotations

import logging

import gradio as gr
from starlette.middleware import Middleware

from ..assistant import Assistant
from ..errors import SettingsError
from ..index.store import remove_crashed_builds
from ..uploads import remove_upload_debris, uploads_allowed
from .api import api_mount
from .api_defaults import DefaultArguments
from .chat import build_app, chat_theme
from .guards import BodyLimit, HostCheck, LoginThrottle
from .source import source_route
from .upload_jobs import upload_limit_bytes

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 1_000_000
# One upload request may carry several files (the page sends all files picked at once): its body
# may hold this many files of the largest size, each also checked against that size by Gradio.
MAX_FILES_PER_REQUEST = 10
# Failed logins are counted per client address over this many seconds (`login_attempts` of them).
LOGIN_WINDOW_SECONDS = 60.0


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """"USER:PASSWORD" → (user, password); None or "" → no login."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise SettingsError("--auth / TILQA_AUTH must look like USER:PASSWORD, both non-empty")
    return user, password


def launch(
    assistant: Assistant,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | None = None,
    watch: bool = False,
    block: bool = True,
) -> gr.Blocks:
    """Serve the chat on host:port (this machine only by default; never a public share link).

    The index is built and the model loaded before the first visitor arrives, after removing what
    a crash left (unfinished builds, uploads cut off). Uploads are on when `uploads_allowed` says
    so (loopback host, or a login; never with `uploads = "off"`); off, no file is accepted at all.
    Requests pass the guards first (`HostCheck`, `BodyLimit`, `LoginThrottle`). With
    `block=False` the server runs in a background thread; stop it with `.close()` on the returned app.
    """
    credentials = parse_auth(auth)
    uploads = uploads_allowed(assistant.settings.uploads, host, credentials is not None)
    if assistant.settings.uploads != "off" and not uploads:
        log.warning("uploads are off: the chat is served on %s without a login (set --auth to allow them)", host)
    settings = assistant.settings
    if settings.corpus_dir.is_dir():
        remove_upload_debris(settings.corpus_dir)
    remove_crashed_builds(settings.index_dir)
    assistant.build()
    assistant.ask("warm-up")
    if watch:
        from ..watch import watch_corpus

        watch_corpus(assistant)
    demo = build_app(assistant, uploads=uploads)
    demo.queue(default_concurrency_limit=16, max_size=512)
    max_file = upload_limit_bytes(assistant) if uploads else MAX_REQUEST_BYTES
    guards = [
        Middleware(HostCheck, host=host, allowed_hosts=settings.allowed_hosts),
        Middleware(
            BodyLimit, max_bytes=MAX_REQUEST_BYTES,
            upload_bytes=max_file * MAX_FILES_PER_REQUEST + MAX_REQUEST_BYTES if uploads else 0,
        ),
        Middleware(LoginThrottle, attempts=settings.login_attempts, window=LOGIN_WINDOW_SECONDS),
    ]
    log.info("serving on http://%s:%d/ (uploads %s)", host, port, "on" if uploads else "off")
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=credentials,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        max_file_size=max_file,
        theme=chat_theme(),
        app_kwargs={"middleware": [*guards, Middleware(DefaultArguments)], "routes": [source_route(assistant), api_mount(assistant)]},
    )
    return demo
