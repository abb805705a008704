"""The web chat (Gradio): a thin layer over `Assistant.ask`, plus an `/ask` API for programs."""

from __future__ import annotations

import html
import logging
from typing import Any

import gradio as gr
from starlette.middleware import Middleware
from starlette.types import ASGIApp, Receive, Scope, Send

from .assistant import Assistant
from .errors import SettingsError, TilqaError
from .results import Answer, Citation

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


def render_answer(answer: Answer) -> str:
    """The reply shown in the chat: answer (or "not found"), notes, then numbered citations."""
    parts = []
    if answer.found:
        parts.append(f"<p><strong>{as_text(answer.answer)}</strong></p>")
    else:
        parts.append("<p><strong>Not found in the corpus.</strong> The closest passages are below.</p>")
    parts.append(f"<p><small>confidence {answer.confidence:.2f}</small></p>")
    for note in answer.notes:
        parts.append(f"<p><em>Note: {as_text(note)}</em></p>")
    for number, c in enumerate(answer.citations, 1):
        where = f"{c.source}:{c.start}-{c.end}"
        section = f" · {as_text(c.section)}" if c.section else ""
        parts.append(
            f"<p><small>[{number}] <code>{as_text(where)}</code>{section} · score {c.score:.2f}</small><br>"
            f"{_passage(c)}</p>"
        )
    return "\n".join(parts)


class _BodyLimit:
    """Rejects requests whose body is larger than `max_bytes` with 413, before reading it all."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await send({"type": "http.response.start", "status": 413, "headers": [(b"content-type", b"text/plain")]})
            await send({"type": "http.response.body", "body": b"request too large"})
            return
        await self.app(scope, receive, send)


def build_app(assistant: Assistant) -> gr.Blocks:
    """The chat page and the `/ask` API endpoint, both answering through `assistant`."""

    def reply(question: str) -> str:
        try:
            return render_answer(assistant.ask(question))
        except TilqaError as exc:
            return f"<p>{as_text(str(exc))}</p>"
        except Exception:  # the page must never show a traceback; the log keeps it
            log.exception("answering %r failed", question[:200])
            return "<p>Something went wrong while answering; the server keeps running. Please try again.</p>"

    def respond(question: str, history: list[dict[str, Any]] | None) -> tuple[list[dict[str, Any]], str]:
        history = list(history or [])
        shown = question if question.strip() else "(empty question)"
        history.append({"role": "user", "content": f"<p>{as_text(shown[:2000])}</p>"})
        history.append({"role": "assistant", "content": reply(question)})
        return history, ""

    def ask(question: str, top_k: int = 3) -> dict:
        """Answer a question: Answer.to_dict(), or {"error": message} for a question that cannot be asked."""
        try:
            return assistant.ask(question, int(top_k)).to_dict()
        except TilqaError as exc:
            return {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return {"error": f"bad request: {exc}"}

    with gr.Blocks(title=TITLE) as demo:
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
        gr.Markdown("**Examples** (the last is one the corpus does not answer)")
        with gr.Row():
            buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in EXAMPLES]
        box.submit(respond, [box, chat], [chat, box], api_visibility="private")
        send.click(respond, [box, chat], [chat, box], api_visibility="private")
        for button, question in zip(buttons, EXAMPLES):
            button.click(lambda h, q=question: respond(q, h), [chat], [chat, box], api_visibility="private")
        gr.api(ask, api_name="ask")
    return demo


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

    The index is built and the model loaded before the first visitor arrives. With `block=False`
    the server runs in a background thread; stop it with `.close()` on the returned app.
    """
    credentials = parse_auth(auth)
    assistant.build()
    assistant.ask("warm-up")
    if watch:
        from .watch import watch_corpus

        watch_corpus(assistant)
    demo = build_app(assistant)
    demo.queue(default_concurrency_limit=16, max_size=512)
    log.info("serving on http://%s:%d/", host, port)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=credentials,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=True,
        max_file_size="1mb",
        app_kwargs={"middleware": [Middleware(_BodyLimit, max_bytes=MAX_REQUEST_BYTES)]},
    )
    return demo
