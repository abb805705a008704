"""The chat page (Gradio): questions answered through `Assistant.ask`, an `/ask` API for programs,
and, when uploads are on, an upload button and an `/add` API that add files to the corpus."""

from __future__ import annotations

import logging
from typing import Any, Callable

import gradio as gr

from ..assistant import Assistant
from ..errors import TilqaError
from ..formats import SUFFIXES
from ..uploads import size_text
from .notices import MERGE_NOTICES, NOTICE_SECONDS
from .replies import as_text, render_answer
from .upload_jobs import UploadJobs

log = logging.getLogger(__name__)

MAX_TURNS = 8  # earlier turns a question is asked with (a follow-up reads only the last)
SYSTEM_FONTS = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "DejaVu Sans", "Liberation Sans", "sans-serif"]
MONO_FONTS = ["ui-monospace", "DejaVu Sans Mono", "Liberation Mono", "monospace"]


def chat_theme() -> gr.themes.Base:
    """The page's theme (given to `launch`): the default with system fonts. The default's web font
    is fetched from the internet, which tilqa never reaches, and the face left in its place drew a
    bold capital "A" in regular weight ("TILVANCE", "After", "Ask")."""
    return gr.themes.Default(font=SYSTEM_FONTS, font_mono=MONO_FONTS)


def build_app(assistant: Assistant, uploads: bool = False) -> gr.Blocks:
    """The chat page and the `/ask` API endpoint, both answering through `assistant`; with
    `uploads`, an upload button on the page and an `/add` API endpoint that add files to the corpus."""
    added = UploadJobs(assistant) if uploads else None
    settings = assistant.settings

    def reply(question: str, turns: list[dict[str, Any]]) -> tuple[str, dict[str, Any] | None]:
        """The reply's HTML, and the turn to remember for follow-ups (None when nothing was answered)."""
        try:
            answer = assistant.ask(question, history=turns[-MAX_TURNS:])
        except TilqaError as exc:
            return f"<p>{as_text(str(exc))}</p>", None
        except Exception:  # the page must never show a traceback; the log keeps it
            log.exception("answering %r failed", question[:200])
            return "<p>Something went wrong while answering; the server keeps running. Please try again.</p>", None
        turn = {"question": answer.question, "understood_as": answer.understood_as, "answer": answer.answer,
                "found": answer.found}
        return render_answer(answer), turn

    def respond(
        question: str, history: list[dict[str, Any]] | None, turns: list[dict[str, Any]] | None,
        request: gr.Request | None = None,
    ) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
        history, turns = list(history or []), list(turns or [])
        if added is not None and request is not None:
            session = request.session_hash or ""
            history += [{"role": "assistant", "content": n} for n in added.notices.pending(session, history)]
        shown = question if question.strip() else "(empty question)"
        history.append({"role": "user", "content": f"<p>{as_text(shown[:2000])}</p>"})
        html_reply, turn = reply(question, turns)
        history.append({"role": "assistant", "content": html_reply})
        if turn is not None:
            turns.append(turn)
        return history, "", turns[-MAX_TURNS:]

    def example(question: str) -> Callable[..., tuple[list[dict[str, Any]], str, list[dict[str, Any]]]]:
        def ask_example(
            history: list[dict[str, Any]] | None, turns: list[dict[str, Any]] | None, request: gr.Request
        ) -> tuple[list[dict[str, Any]], str, list[dict[str, Any]]]:
            return respond(question, history, turns, request)

        return ask_example

    def ask(question: str, top_k: int | None = None, history: list[Any] | None = None) -> dict:
        """Answer a question, with the conversation's earlier answers (or questions) as `history`:
        Answer.to_dict(), or {"error": message} for a request that cannot be answered."""
        try:
            k = None if top_k is None or top_k == "" else int(top_k)
            return assistant.ask(question, k, history=history or None).to_dict()
        except TilqaError as exc:
            return {"error": str(exc)}
        except (TypeError, ValueError) as exc:
            return {"error": f"bad request: {exc}"}
        except Exception:  # a program gets a message, never a traceback; the log keeps it
            log.exception("the /ask API failed")
            return {"error": "something went wrong while answering; please try again"}

    with gr.Blocks(title=settings.chat_title, delete_cache=(3600, 3600) if uploads else None) as demo:
        turns = gr.State([])
        gr.Markdown(f"# {settings.chat_title}\n{settings.chat_description}")
        # Tall enough for a whole question and reply (answer, confidence, three citations): the chat
        # scrolls to its end on each reply, and at 520 px that scrolled the question out of view and
        # the answer's first line under the chat's label.
        chat = gr.Chatbot(
            label="tilqa", height="75vh", min_height=520, sanitize_html=True, render_markdown=True, elem_id="chat",
            group_consecutive_messages=False,  # an upload's notice is its own bubble, not part of the last answer
        )
        with gr.Row():
            box = gr.Textbox(placeholder=settings.chat_placeholder, show_label=False, scale=8, elem_id="question")
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
        note = f" ({settings.chat_examples_note})" if settings.chat_examples_note else ""
        gr.Markdown(f"**Examples**{note}")
        with gr.Row():
            buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in settings.chat_examples]
        box.submit(respond, [box, chat, turns], [chat, box, turns], api_visibility="private")
        send.click(respond, [box, chat, turns], [chat, box, turns], api_visibility="private")
        for button, question in zip(buttons, settings.chat_examples):
            button.click(example(question), [chat, turns], [chat, box, turns], api_visibility="private")
        gr.api(ask, api_name="ask")
        if added is not None:
            _upload_events(demo, added, upload, chat)
    return demo


def _upload_events(demo: gr.Blocks, added: UploadJobs, upload: gr.UploadButton, chat: gr.Chatbot) -> None:
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
