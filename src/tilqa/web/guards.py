"""Request guards of the chat's server, each an ASGI middleware run before Gradio sees a request:

- `BodyLimit`: bodies bounded whatever their framing (declared or chunked), before any login check;
  no file upload at all when uploads are off.
- `HostCheck`: only requests for the address the server serves (DNS rebinding) and from its own
  pages (no cross-origin request reaches `/ask`, uploads or `/source`).
- `LoginThrottle`: failed logins limited per client address; user names compared exactly.

And `logged_in`: whether a request comes from someone logged in to the chat.
"""

from __future__ import annotations

import inspect
import ipaddress
import logging
import socket
import threading
import time
from collections import OrderedDict, deque
from urllib.parse import parse_qs, urlsplit

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

UPLOAD_PATH = "/gradio_api/upload"  # where Gradio receives files, before any event sees them
LOGIN_PATH = "/login"


def _path(scope: Scope) -> str:
    path = scope.get("path", "")
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root):]
    return path.rstrip("/") or "/"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _refuse(send: Send, status: int, text: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    body = text.encode("utf-8")
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                    *(headers or [])],
    })
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    """Raised inside the app's `receive` once a body has passed its limit."""


class BodyLimit:
    """Refuses request bodies larger than allowed with 413: a declared Content-Length before
    anything is read, a chunked body (no Content-Length) as soon as the bytes received pass the
    limit, so no handler (nor the login check behind it) ever reads more than the limit.

    `max_bytes` is the limit of every request but file uploads to Gradio, which may take
    `upload_bytes`; with `upload_bytes=0` uploads are off and refused with 403 unread."""

    def __init__(self, app: ASGIApp, max_bytes: int, upload_bytes: int | None = None) -> None:
        self.app, self.max_bytes = app, max_bytes
        self.upload_bytes = max_bytes if upload_bytes is None else upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = _path(scope) == UPLOAD_PATH
        if upload and self.upload_bytes == 0:
            await _refuse(send, 403, "uploads are off on this server")
            return
        limit = self.upload_bytes if upload else self.max_bytes
        declared = _header(scope, b"content-length")
        if declared is not None and (not declared.strip().isdigit() or int(declared) > limit):
            await _refuse(send, 413, f"request too large: the limit is {limit:,} bytes")
            return
        received = 0
        over = started = False

        async def counted() -> Message:
            nonlocal received, over
            if over:  # the app asks again after being told: it gets a disconnect
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app answers to the cut-off body, the client gets 413
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except Exception:  # _TooLarge, or what a handler made of it
            if not over:
                raise
        if over:
            log.warning("refused a %s body over %d bytes to %s", "chunked" if declared is None else "declared",
                        limit, _path(scope))
            if not started:
                await _refuse(send, 413, f"request too large: the limit is {limit:,} bytes")


def _split_host(value: str) -> tuple[str, int | None] | None:
    """"name:port", "[::1]:port", "name" → (lower-case name without brackets, port); None if malformed."""
    try:
        parts = urlsplit("//" + value.strip())
        port = parts.port
    except ValueError:
        return None
    name = (parts.hostname or "").rstrip(".")
    return (name, port) if name else None


def _ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


class HostCheck:
    """Answers only requests whose `Host` names the address the server serves, and refuses with
    403 any request whose `Origin` is another site's (or `null`), and any cross-site request a
    browser marks with `Sec-Fetch-Site` but a plain navigation to the chat page.

    A DNS-rebinding page reaches the server under its own domain name, so a name is accepted
    only when it is known: on a loopback address, `localhost` and loopback IP addresses; on
    another address, any IP address (a rebinding page cannot send one), `localhost`, this
    machine's name; on every address, the names in `allowed_hosts` (`*` accepts any).
    """

    def __init__(self, app: ASGIApp, host: str, allowed_hosts: tuple[str, ...] = ()) -> None:
        self.app = app
        self.any_host = "*" in allowed_hosts
        bound = _ip(host.strip("[]"))
        self.loopback = host == "localhost" or (bound is not None and bound.is_loopback)
        names = {"localhost", *(h.lower().rstrip(".") for h in allowed_hosts if h != "*")}
        if not self.loopback:
            names.update({host.lower().strip("[]"), socket.gethostname().lower(), socket.getfqdn().lower()})
        self.names = frozenset(n for n in names if n)

    def host_allowed(self, name: str) -> bool:
        """Whether a request's Host name (no port) may reach this server."""
        if self.any_host or name in self.names:
            return True
        ip = _ip(name)
        if ip is None:
            return False
        return ip.is_loopback or not self.loopback

    def problem(self, scope: Scope) -> str | None:
        """Why a request is refused, or None when it may go on."""
        host_header = _header(scope, b"host")
        host = _split_host(host_header) if host_header else None
        if host is None or not self.host_allowed(host[0]):
            return (f"this server does not answer for the host {host_header!r}; "
                    "add the name to TILQA_ALLOWED_HOSTS to allow it")
        origin = _header(scope, b"origin")
        if origin is not None:
            parts = urlsplit(origin.strip())
            default = {"http": 80, "https": 443, "ws": 80, "wss": 443}.get(parts.scheme)
            try:
                port = parts.port or default
            except ValueError:
                port = None
            if (parts.hostname or "").rstrip(".") != host[0] or port is None or port != (host[1] or default):
                return "cross-origin requests are refused"
        site = _header(scope, b"sec-fetch-site")
        if site in ("cross-site", "same-site"):
            navigation = _header(scope, b"sec-fetch-mode") == "navigate" and scope.get("method") == "GET"
            if not (navigation and _path(scope) == "/"):
                return "cross-site requests are refused"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.problem(scope)
        if problem is None:
            await self.app(scope, receive, send)
            return
        log.warning("refused %s %s: %s", scope.get("method", "websocket"), _path(scope), problem)
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            await _refuse(send, 403, problem)


class LoginThrottle:
    """Limits failed logins (`POST /login`) to `attempts` per client address in `window` seconds:
    past that, 429 with the wait, before the password is checked. A user name with spaces at
    either end is refused as wrong credentials (Gradio would strip them; names compare exactly).
    Addresses remembered are capped (`max_clients`), the oldest forgotten first."""

    def __init__(self, app: ASGIApp, attempts: int = 5, window: float = 60.0, max_clients: int = 10_000) -> None:
        self.app, self.attempts, self.window, self.max_clients = app, attempts, window, max_clients
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait(self, client: str, now: float) -> float:
        """Seconds `client` must wait before trying again (0: it may try now)."""
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return 0.0
            while failures and failures[0] <= now - self.window:
                failures.popleft()
            if len(failures) < self.attempts:
                return 0.0
            return failures[0] + self.window - now

    def failed(self, client: str, now: float) -> None:
        with self._lock:
            self._failures.setdefault(client, deque()).append(now)
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or _path(scope) != LOGIN_PATH:
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        now = time.monotonic()
        wait = self.wait(client, now)
        if wait > 0:
            seconds = max(1, round(wait))
            log.warning("refused a login from %s: too many failed attempts", client)
            await _refuse(send, 429, f"too many failed logins from your address; try again in {seconds} s",
                          [(b"retry-after", str(seconds).encode())])
            return
        # The form is small (BodyLimit bounds it): read it whole, check the name, hand it on.
        chunks, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        names = parse_qs(body.decode("utf-8", "replace")).get("username", [""])
        if any(name != name.strip() for name in names):
            self.failed(client, now)
            await _refuse(send, 400, "Incorrect credentials.")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    self.succeeded(client)
                elif 400 <= message["status"] < 500:
                    self.failed(client, now)
            await send(message)

        await self.app(scope, replay, watch)


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
