"""Defaults for the Gradio `/ask` endpoint called over plain HTTP: `POST /gradio_api/call/ask` with
`{"data": ["question"]}` gets `top_k` and `history` filled in as None (the server's defaults).

Gradio's HTTP routes pass the `data` list to the function only when it has a value for every
parameter, and otherwise answer with an internal error ("needed: 3, got: 1"); `gradio_client` and
Gradio's `/call/v2/ask` fill in defaults themselves. This middleware pads a short `data` list for
the routes named in `PADDED` before Gradio reads the body; any other request passes untouched."""

from __future__ import annotations

import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# The Gradio API endpoints whose trailing parameters have defaults: their parameter counts.
PADDED = {"ask": 3}
_ROUTES = ("/gradio_api/call/", "/gradio_api/run/", "/gradio_api/api/")
MAX_BODY_BYTES = 1_000_000  # the chat's request limit (server.MAX_REQUEST_BYTES): longer bodies pass untouched


def _endpoint(path: str) -> str | None:
    for route in _ROUTES:
        if path.startswith(route):
            name = path[len(route):].strip("/")
            return name if name in PADDED else None
    return None


def padded(body: bytes, parameters: int) -> bytes:
    """The request body with its `data` list padded with None to `parameters` values; the body
    unchanged when it is not a JSON object with a shorter `data` list."""
    try:
        request = json.loads(body)
    except ValueError:
        return body
    if not isinstance(request, dict) or not isinstance(request.get("data"), list):
        return body
    data = request["data"]
    if not 1 <= len(data) < parameters:
        return body
    return json.dumps({**request, "data": data + [None] * (parameters - len(data))}).encode()


class DefaultArguments:
    """ASGI middleware: pads the `data` of plain-HTTP calls to the endpoints in `PADDED`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        name = _endpoint(path) if scope["type"] == "http" and scope.get("method") == "POST" else None
        if name is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            more = message.get("more_body", False)
            if size > MAX_BODY_BYTES:
                await self.app(scope, _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": more}], receive), send)
                return
        body = padded(b"".join(chunks), PADDED[name])
        headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(body)).encode()))
        await self.app({**scope, "headers": headers}, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[Message], then: Receive) -> Receive:
    """A `receive` that gives `messages` first, then whatever `then` gives (a disconnect)."""
    queue = list(messages)

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        return await then()

    return receive
