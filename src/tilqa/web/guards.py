"""Request guards of the chat's server: a body size limit checked before a body is read, and
whether a request comes from someone logged in to the chat."""

from __future__ import annotations

import inspect
import logging

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)

UPLOAD_PATH = "/gradio_api/upload"  # where Gradio receives files, before any event sees them


class BodyLimit:
    """Rejects requests whose declared body is larger than allowed with 413, before reading it:
    `max_bytes` for every request but file uploads to Gradio, which may take `upload_bytes`."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        limit = self.upload_bytes if path.rstrip("/") == UPLOAD_PATH else self.max_bytes
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"request too large"})
            return
        await self.app(scope, receive, send)


async def logged_in(request: Request) -> bool:
    """Whether the request may see the chat: Gradio's own check (no login set, or a session
    cookie from Gradio's login form). Fails closed if Gradio's app no longer looks as expected."""
    app = request.app
    try:
        if app.auth is None and app.auth_dependency is None:
            return True
        if app.auth_dependency is not None:
            user = app.auth_dependency(request)
            if inspect.isawaitable(user):
                user = await user
            return user is not None
        token = request.cookies.get(f"access-token-{app.cookie_id}") or request.cookies.get(
            f"access-token-unsecure-{app.cookie_id}"
        )
        return token is not None and app.tokens.get(token) is not None
    except AttributeError:
        log.error("cannot check the login for %s: Gradio's app has changed; refusing", request.url.path)
        return False
