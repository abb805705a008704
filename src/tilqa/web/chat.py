"""The web chat (Gradio): a thin layer over `Assistant.ask`, plus an `/ask` API for programs, a
source view (`GET /source`) showing a citation in its document, and uploads into the corpus."""

from __future__ import annotations

import base64
import bisect
import hashlib
import html
import inspect
import logging
import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlencode

import gradio as gr
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ..assistant import Assistant
from ..errors import SettingsError, TilqaError, UploadError
from ..formats import SUFFIXES
from ..index import BuildReport
from ..results import Answer, Citation
from ..uploads import MEGABYTE, add_file, size_text, uploads_allowed

log = logging.getLogger(__name__)

TITLE = "tilqa — Iovance R&D assistant"
# The last one the corpus does not answer (it gives no duration): it shows how tilqa says so.
EXAMPLES = (
    "Which IL-2 product did Iovance acquire?",
    "What is lifileucel designed for?",
    "Which regulatory agencies have to evaluate TIL therapies?",
    "Who licensed the TALEN gene-editing technology to Iovance?",
    "How long does TIL manufacturing take?",
)
MAX_REQUEST_BYTES = 1_000_000
UPLOAD_PATH = "/gradio_api/upload"  # where Gradio receives files, before any event sees them
# One upload request may carry several files (the page sends all files picked at once): its body
# may hold this many files of the largest size, each also checked against that size by Gradio.
MAX_FILES_PER_REQUEST = 10
SOURCE_PATH = "/source"
NOTICE_SECONDS = 1.0  # how often a page with an upload being indexed asks whether it is done


def as_text(text: str) -> str:
    """Text shown exactly as written. Every chat message is one HTML block (no blank line inside),
    which Markdown leaves alone, so escaping HTML is all it takes."""
    return html.escape(text, quote=True).replace("\n", "<br>")


def _passage(c: Citation) -> str:
    if c.answer_start is None or c.answer_end is None:
        return as_text(c.text)
    return (
        as_text(c.text[: c.answer_start])
        + "<mark>" + as_text(c.text[c.answer_start : c.answer_end]) + "</mark>"
        + as_text(c.text[c.answer_end :])
    )


def source_url(c: Citation) -> str:
    """The source view of a citation, relative to the chat page (so it works under a proxy prefix)."""
    return "source?" + urlencode({"source": c.source, "start": c.start, "end": c.end})


def render_answer(answer: Answer, source_links: bool = True) -> str:
    """The reply shown in the chat: answer (or "not found"), notes, then numbered citations, each
    with a link to its place in the document (`source_links`)."""
    parts = []
    if answer.found:
        parts.append(f"<p><strong>{as_text(answer.answer)}</strong></p>")
    else:
        parts.append("<p><strong>Not found in the corpus.</strong> The closest passages are below.</p>")
    parts.append(f"<p><small>confidence {answer.confidence:.2f}</small></p>")
    for note in answer.notes:
        parts.append(f"<p><em>Note: {as_text(note)}</em></p>")
    for number, c in enumerate(answer.citations, 1):
        where = f"{c.where} · {c.start}-{c.end}"
        section = f" · {as_text(c.section)}" if c.section else ""
        link = (
            f' · <a class="source-link" href="{html.escape(source_url(c), quote=True)}" target="_blank" '
            f'rel="noopener">show in document</a>'
            if source_links else ""
        )
        parts.append(
            f"<p><small>[{number}] <code>{as_text(where)}</code>{section} · score {c.score:.2f}{link}</small><br>"
            f"{_passage(c)}</p>"
        )
    return "\n".join(parts)


class _BodyLimit:
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


# -- the source view ---------------------------------------------------------------------------

_SOURCE_SCRIPT = "const m = document.getElementById('cited'); if (m) m.scrollIntoView({block: 'center'});"
_SOURCE_HEADERS = {
    # Only the page's own style and its one script: nothing from a document can run or load.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
        "script-src 'sha256-" + base64.b64encode(hashlib.sha256(_SOURCE_SCRIPT.encode()).digest()).decode() + "'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_SOURCE_STYLE = """
body { font: 16px/1.55 Georgia, 'DejaVu Serif', serif; margin: 0 auto; max-width: 46em; padding: 1em 1.5em 4em; }
header { font-family: system-ui, sans-serif; border-bottom: 1px solid #ccc; margin-bottom: 1em; }
header h1 { font-size: 1.25em; margin: .4em 0 .2em; word-break: break-all; }
header p, nav { color: #555; font-size: .9em; margin: .3em 0; }
nav a { margin-right: 1em; }
.text { white-space: pre-wrap; overflow-wrap: break-word; }
mark { background: #ffe066; padding: .1em 0; }
"""


def _source_html(title: str, header: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} · tilqa</title><style>{_SOURCE_STYLE}</style></head>"
        f"<body><header>{header}</header>{body}<script>{_SOURCE_SCRIPT}</script></body></html>"
    )


def _problem(status: int, title: str, detail: str) -> tuple[int, str]:
    header = f"<h1>{html.escape(title)}</h1><nav><a href='./'>back to the chat</a></nav>"
    return status, _source_html(title, header, f"<p>{html.escape(detail)}</p>")


def _whole_number(value: str | None) -> int | None:
    """A query value as a non-negative int, or None when it is not one (no sign, no spaces)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def source_view(assistant: Assistant, query: Mapping[str, str]) -> tuple[int, str]:
    """The source view's status and page for a query `source`, `start`, `end` (and `page`, for a
    PDF): the document's text, escaped, with characters start..end in a <mark id="cited">. A PDF
    shows one page: that of `page`, else the one where the span starts, with "page N of M".

    Documents are found only in the index (`Assistant.document_text`), never by path."""
    source = query.get("source")
    if not source:
        return _problem(400, "No document named", "The link does not say which document to show.")
    try:
        text = assistant.document_text(source)
    except KeyError:
        return _problem(
            404, "Document not found",
            f"There is no document {source!r} in the index: it may have been removed or renamed "
            "since this answer was given. Ask the question again to get fresh sources.",
        )
    document = assistant.index.documents.get(source)
    pages = document.pages if document is not None and document.text == text else ()

    span: tuple[int, int] | None = None
    if "start" in query or "end" in query:
        start, end = _whole_number(query.get("start")), _whole_number(query.get("end"))
        if start is None or end is None or not start < end <= len(text):
            return _problem(
                400, "Bad passage",
                f"start and end must be whole numbers with 0 ≤ start < end ≤ {len(text)}, the length "
                f"of {source}'s text.",
            )
        span = (start, end)

    lo, hi, where = 0, len(text), ""
    nav: list[str] = []
    if pages:
        count = len(pages)
        if "page" in query:
            number = _whole_number(query.get("page"))
            if number is None or not 1 <= number <= count:
                return _problem(400, "Bad page", f"page must be a whole number from 1 to {count} for {source}.")
        else:
            number = max(1, bisect.bisect_right(pages, span[0])) if span else 1
        lo = pages[number - 1] if number > 1 else 0
        hi = pages[number] if number < count else len(text)
        where = f"page {number} of {count}"
        base = {"source": source, **({"start": span[0], "end": span[1]} if span else {})}
        if number > 1:
            nav.append(f"<a href='source?{html.escape(urlencode({**base, 'page': number - 1}))}'>← page {number - 1}</a>")
        if number < count:
            nav.append(f"<a href='source?{html.escape(urlencode({**base, 'page': number + 1}))}'>page {number + 1} →</a>")
        if span and span[1] > hi and number < count:
            nav.append(f"<span>the passage continues on page {number + 1}</span>")
    elif "page" in query:
        return _problem(400, "No pages", f"{source} is not a PDF, so it has no pages.")

    if span and span[0] < hi and span[1] > lo:
        start, end = max(span[0], lo), min(span[1], hi)
        shown = (
            html.escape(text[lo:start]) + "<mark id='cited'>" + html.escape(text[start:end]) + "</mark>"
            + html.escape(text[end:hi])
        )
    else:
        shown = html.escape(text[lo:hi])
    details = " · ".join(
        part for part in (
            where,
            f"characters {span[0]}–{span[1]}" if span else "",
        ) if part
    )
    header = (
        f"<h1>{html.escape(source)}</h1>"
        + (f"<p>{html.escape(details)}</p>" if details else "")
        + f"<nav><a href='./'>back to the chat</a>{''.join(nav)}</nav>"
    )
    return 200, _source_html(source, header, f"<div class='text'>{shown}</div>")


async def _logged_in(request: Request) -> bool:
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


def _source_route(assistant: Assistant) -> Route:
    """GET /source, behind the chat's login."""

    async def endpoint(request: Request) -> HTMLResponse:
        if not await _logged_in(request):
            status, page = _problem(401, "Log in first", "Open the chat and log in, then follow the link again.")
        else:
            try:
                status, page = await run_in_threadpool(source_view, assistant, dict(request.query_params))
            except Exception:  # the page must never show a traceback; the log keeps it
                log.exception("source view failed for %s", request.url.query[:300])
                status, page = _problem(500, "Something went wrong", "The document could not be shown; please try again.")
        return HTMLResponse(page, status_code=status, headers=_SOURCE_HEADERS)

    return Route(SOURCE_PATH, endpoint, methods=["GET"])


# -- uploads -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Saved:
    """A file an upload put into the corpus: `name` as uploaded, `source` where it went."""

    name: str
    source: str


@dataclass(frozen=True)
class Indexed:
    """What indexing did with a saved file: its pages (PDF) and passages, or the `problem`."""

    name: str
    source: str
    pages: int | None = None
    passages: int = 0
    problem: str | None = None

    @property
    def message(self) -> str:
        renamed = f" (uploaded as {self.name})" if self.source != self.name else ""
        if self.problem is not None:
            return f"{self.source} was saved{renamed} but is not searchable: {self.problem}"
        counts = [f"{self.passages} passage{'s' if self.passages != 1 else ''}"]
        if self.pages is not None:
            counts.insert(0, f"{self.pages} page{'s' if self.pages != 1 else ''}")
        return f"added {self.source}: {', '.join(counts)}{renamed}; you can ask about it now"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source, "pages": self.pages, "passages": self.passages,
                "problem": self.problem}


class _Indexer:
    """Rebuilds the index after uploads in one background thread, one build at a time (uploads
    arriving during a build share the next one); questions are answered from the old index until
    the new one is live."""

    def __init__(self, assistant: Assistant) -> None:
        self._assistant = assistant
        self._jobs: queue.Queue[tuple[list[Saved], Future[list[Indexed]]]] = queue.Queue()
        self._start = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, saved: list[Saved]) -> Future[list[Indexed]]:
        future: Future[list[Indexed]] = Future()
        self._jobs.put((saved, future))
        with self._start:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="tilqa-upload-index", daemon=True)
                self._thread.start()
        return future

    def _run(self) -> None:
        while True:
            jobs = [self._jobs.get()]
            while not self._jobs.empty():
                jobs.append(self._jobs.get_nowait())
            report: BuildReport | None = None
            problem = None
            try:
                report = self._assistant.build()
                log.info("%s", report.summary())
            except TilqaError as exc:
                problem = f"the index could not be rebuilt ({exc}); it is added at the next build"
            except Exception:  # the thread must outlive any one failed build
                log.exception("rebuilding the index after an upload failed")
                problem = "the index could not be rebuilt (see the server log); it is added at the next build"
            for saved, future in jobs:
                try:
                    future.set_result([self._outcome(s, report, problem) for s in saved])
                except Exception as exc:  # noqa: BLE001 - handed to whoever waits
                    log.exception("summarising an upload failed")
                    future.set_exception(exc)

    def _outcome(self, saved: Saved, report: BuildReport | None, problem: str | None) -> Indexed:
        if problem is not None or report is None:
            return Indexed(saved.name, saved.source, problem=problem)
        data = self._assistant.index
        document = data.documents.get(saved.source)
        if document is None:
            reasons = [s.reason for s in report.skipped if s.source == saved.source]
            return Indexed(saved.name, saved.source, problem=reasons[0] if reasons else "it was not indexed")
        passages = int((data.passages.rows["source"] == data.documents.number(saved.source)).sum())
        pages = len(document.pages) if document.format == "pdf" else None
        return Indexed(saved.name, saved.source, pages, passages)


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text") or "" for part in content if isinstance(part, Mapping))
    return ""


class _Notices:
    """What uploads have to tell each page (Gradio session): messages for its chat, kept until the
    page is seen showing them, and how many of its uploads are still being indexed.

    The chat shows them by merging in the browser (`MERGE_NOTICES`), never by a server write that
    could replace the chat with an older copy while a question is being answered. Each message is
    unique (numbered), so a repeated one ("could not add x.xyz" twice) is still shown twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._messages: dict[str, list[str]] = {}
        self._busy: dict[str, int] = {}

    def post(self, session: str, *texts: str) -> None:
        with self._lock:
            for text in texts:
                self._count += 1
                message = f'<p data-notice="{self._count}"><em>{as_text(text)}</em></p>'
                self._messages.setdefault(session, []).append(message)

    def begin(self, session: str) -> None:
        with self._lock:
            self._busy[session] = self._busy.get(session, 0) + 1

    def end(self, session: str) -> None:
        with self._lock:
            left = self._busy.get(session, 1) - 1
            if left > 0:
                self._busy[session] = left
            else:
                self._busy.pop(session, None)

    def busy(self, session: str) -> bool:
        with self._lock:
            return session in self._busy

    def pending(self, session: str, history: list[Mapping[str, Any]] | None = None) -> list[str]:
        """This page's messages that its chat `history` does not show; those it shows are done
        with (a chat cleared later does not get them back)."""
        shown = {_message_text(m) for m in history or [] if m.get("role") == "assistant"}
        with self._lock:
            left = [m for m in self._messages.get(session, ()) if m not in shown]
            if left:
                self._messages[session] = left
            else:
                self._messages.pop(session, None)
            return left

    def forget(self, session: str) -> None:
        with self._lock:
            self._messages.pop(session, None)


# Appends to the chat each notice it does not show yet, in the browser, so it works on the chat as
# it is now. Gradio passes the chat as a list of {role, content: [{type, text}]} and takes back a
# list with one value per output.
MERGE_NOTICES = """(chat, notices) => {
  chat = chat || [];
  const text = (m) => typeof m.content === "string" ? m.content
    : (m.content || []).map((part) => (part && part.text) || "").join("");
  const shown = new Set(chat.filter((m) => m.role === "assistant").map(text));
  const added = (notices || []).filter((n) => !shown.has(n))
    .map((n) => ({role: "assistant", metadata: null, content: [{type: "text", text: n}], options: null}));
  return [added.length ? chat.concat(added) : chat];
}"""


class _Uploads:
    """Files added from the chat: each saved by `uploads.add_file` (refused with the reason when
    it cannot be), then indexed in the background by `_Indexer`."""

    def __init__(self, assistant: Assistant) -> None:
        self.corpus_dir = assistant.settings.corpus_dir
        self.max_bytes = upload_limit_bytes(assistant)
        self.indexer = _Indexer(assistant)
        self.notices = _Notices()

    def save(self, paths: list[str] | None) -> tuple[list[Saved], list[tuple[str, str]]]:
        """Save each uploaded file: (saved files, (name, reason) for each refused one)."""
        saved: list[Saved] = []
        refused: list[tuple[str, str]] = []
        for path in paths or []:
            name = Path(path).name
            try:
                target = add_file(self.corpus_dir, name, Path(path), self.max_bytes)
            except UploadError as exc:
                refused.append((name, str(exc)))
            except Exception:  # never a traceback in the page; the log keeps it
                log.exception("adding the upload %r failed", name)
                refused.append((name, f"{name} could not be added (see the server log)"))
            else:
                saved.append(Saved(name, target.name))
        return saved, refused

    def from_page(self, paths: list[str] | None, session: str) -> None:
        """An upload from the chat page: says what was saved or refused at once, and when the
        saved files can be asked about, through the page's notices."""
        saved, refused = self.save(paths)
        self.notices.post(session, *(f"not added: {reason}" for _, reason in refused))
        if not saved:
            return
        names = ", ".join(s.source for s in saved)
        self.notices.post(session, f"indexing {names}; the chat keeps answering from the other documents meanwhile")
        self.notices.begin(session)

        def done(future: Future[list[Indexed]]) -> None:
            try:
                self.notices.post(session, *(i.message for i in future.result()))
            except Exception:  # noqa: BLE001 - logged by the indexer
                self.notices.post(session, f"indexing {names} failed (see the server log)")
            finally:
                self.notices.end(session)

        self.indexer.submit(saved).add_done_callback(done)

    def from_api(self, paths: list[str] | None) -> dict[str, Any]:
        """An upload from a program: returns once the saved files are searchable."""
        saved, refused = self.save(paths)
        indexed = self.indexer.submit(saved).result() if saved else []
        return {
            "added": [i.to_dict() for i in indexed],
            "refused": [{"name": name, "reason": reason} for name, reason in refused],
        }


def upload_limit_bytes(assistant: Assistant) -> int:
    """The largest file an upload may add, in bytes (`max_upload_mb`)."""
    return int(assistant.settings.max_upload_mb * MEGABYTE)


# -- the page ----------------------------------------------------------------------------------


def build_app(assistant: Assistant, uploads: bool = False) -> gr.Blocks:
    """The chat page and the `/ask` API endpoint, both answering through `assistant`; with
    `uploads`, an upload button on the page and an `/add` API endpoint that add files to the corpus."""
    added = _Uploads(assistant) if uploads else None

    def reply(question: str) -> str:
        try:
            return render_answer(assistant.ask(question))
        except TilqaError as exc:
            return f"<p>{as_text(str(exc))}</p>"
        except Exception:  # the page must never show a traceback; the log keeps it
            log.exception("answering %r failed", question[:200])
            return "<p>Something went wrong while answering; the server keeps running. Please try again.</p>"

    def respond(
        question: str, history: list[dict[str, Any]] | None, request: gr.Request | None = None
    ) -> tuple[list[dict[str, Any]], str]:
        history = list(history or [])
        if added is not None and request is not None:
            session = request.session_hash or ""
            history += [{"role": "assistant", "content": n} for n in added.notices.pending(session, history)]
        shown = question if question.strip() else "(empty question)"
        history.append({"role": "user", "content": f"<p>{as_text(shown[:2000])}</p>"})
        history.append({"role": "assistant", "content": reply(question)})
        return history, ""

    def example(question: str) -> Callable[..., tuple[list[dict[str, Any]], str]]:
        def ask_example(history: list[dict[str, Any]] | None, request: gr.Request) -> tuple[list[dict[str, Any]], str]:
            return respond(question, history, request)

        return ask_example

    def ask(question: str, top_k: int = 3) -> dict:
        """Answer a question: Answer.to_dict(), or {"error": message} for a question that cannot be asked."""
        try:
            return assistant.ask(question, int(top_k)).to_dict()
        except TilqaError as exc:
            return {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return {"error": f"bad request: {exc}"}

    with gr.Blocks(title=TITLE, delete_cache=(3600, 3600) if uploads else None) as demo:
        gr.Markdown(
            f"# {TITLE}\n"
            "Questions about Iovance Biotherapeutics' research and development of tumor-infiltrating "
            "lymphocyte (TIL) cell therapy. Every answer is a sentence copied verbatim from the "
            "corpus, with its sources; when the corpus does not answer, tilqa says so."
        )
        # Tall enough for a whole question and reply (answer, confidence, three citations): the chat
        # scrolls to its end on each reply, and at 520 px that scrolled the question out of view and
        # the answer's first line under the chat's label.
        chat = gr.Chatbot(
            label="tilqa", height="75vh", min_height=520, sanitize_html=True, render_markdown=True, elem_id="chat"
        )
        with gr.Row():
            box = gr.Textbox(placeholder="Ask about Iovance's R&D…", show_label=False, scale=8, elem_id="question")
            send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
            if added is not None:
                upload = gr.UploadButton(
                    "Add documents", file_count="multiple", file_types=sorted(SUFFIXES), scale=1,
                    min_width=170, elem_id="upload",
                )
        if added is not None:
            gr.Markdown(
                f"<small>Add documents: {', '.join(sorted(SUFFIXES))}, up to "
                f"{size_text(added.max_bytes)} each. They are checked, saved into the corpus and "
                "indexed; the chat says when you can ask about them.</small>"
            )
        gr.Markdown("**Examples** (the last is one the corpus does not answer)")
        with gr.Row():
            buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
        box.submit(respond, [box, chat], [chat, box], api_visibility="private")
        send.click(respond, [box, chat], [chat, box], api_visibility="private")
        for button, question in zip(buttons, EXAMPLES):
            button.click(example(question), [chat], [chat, box], api_visibility="private")
        gr.api(ask, api_name="ask")
        if added is not None:
            _upload_events(demo, added, upload, chat)
    return demo


def _upload_events(demo: gr.Blocks, added: _Uploads, upload: gr.UploadButton, chat: gr.Chatbot) -> None:
    """The page's upload (saved at once, indexed in the background, the chat told through
    notices a timer fetches) and the `/add` API (which waits until the files are searchable)."""
    notices = gr.JSON(visible="hidden", elem_id="upload-notices")
    timer = gr.Timer(NOTICE_SECONDS, active=False)

    def on_upload(paths: list[str] | None, request: gr.Request) -> tuple[list[str], gr.Timer]:
        session = request.session_hash or ""
        added.from_page(paths, session)
        return added.notices.pending(session), gr.Timer(active=True)

    def on_tick(history: list[dict[str, Any]] | None, request: gr.Request) -> tuple[Any, gr.Timer]:
        session = request.session_hash or ""
        pending = added.notices.pending(session, history)
        # Nothing new: leave the notices (and so the chat) alone, not even re-rendered.
        return pending or gr.skip(), gr.Timer(active=bool(pending) or added.notices.busy(session))

    def forget(request: gr.Request) -> None:
        added.notices.forget(request.session_hash or "")

    upload.upload(on_upload, [upload], [notices, timer], api_visibility="private")
    timer.tick(on_tick, [chat], [notices, timer], api_visibility="private", show_progress="hidden")
    notices.change(None, [chat, notices], [chat], js=MERGE_NOTICES, api_visibility="private", show_progress="hidden")
    demo.unload(forget)
    # No file_types: Gradio would refuse the whole call for one bad file; add_file names each one.
    files = gr.File(file_count="multiple", label="files", visible=False)
    result = gr.JSON(label="result", visible=False)

    def add(paths: list[str] | None) -> dict[str, Any]:
        """Add files to the corpus and wait until they can be asked about: {"added": [{name, source,
        pages, passages, problem}], "refused": [{name, reason}]}."""
        return added.from_api(paths)

    files.change(add, [files], [result], api_name="add", concurrency_limit=2)


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

    The index is built and the model loaded before the first visitor arrives. Uploads are on when
    `uploads_allowed` says so (loopback host, or a login; never with `uploads = "off"`). With
    `block=False` the server runs in a background thread; stop it with `.close()` on the returned app.
    """
    credentials = parse_auth(auth)
    uploads = uploads_allowed(assistant.settings.uploads, host, credentials is not None)
    if assistant.settings.uploads != "off" and not uploads:
        log.warning("uploads are off: the chat is served on %s without a login (set --auth to allow them)", host)
    assistant.build()
    assistant.ask("warm-up")
    if watch:
        from ..watch import watch_corpus

        watch_corpus(assistant)
    demo = build_app(assistant, uploads=uploads)
    demo.queue(default_concurrency_limit=16, max_size=512)
    max_file = upload_limit_bytes(assistant) if uploads else MAX_REQUEST_BYTES
    body_limit = Middleware(
        _BodyLimit, max_bytes=MAX_REQUEST_BYTES,
        upload_bytes=max_file * MAX_FILES_PER_REQUEST + MAX_REQUEST_BYTES if uploads else MAX_REQUEST_BYTES,
    )
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
        app_kwargs={"middleware": [body_limit], "routes": [_source_route(assistant)]},
    )
    return demo
