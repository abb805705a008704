"""The chat page (Gradio): questions answered through `Assistant.ask`, an `/ask` API for programs,
a Documents panel, and, when uploads are on, an upload button, removal from the Documents panel
and an `/add` API that add files to the corpus."""

from __future__ import annotations

import logging
from typing import Any, Callable

import gradio as gr

from ..assistant import Assistant
from ..errors import TilqaError
from ..formats import SUFFIXES
from ..removals import removable_files
from .documents import documents_html, page_texts
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

    def texts():  # what the page says about what it searches, for the documents indexed now
        return page_texts(settings, frozenset(d.source for d in assistant.documents()))

    def page_state() -> tuple[Any, ...]:
        """Updates for the header, the question box, the examples, the tab's title, the Documents
        panel and (with uploads) its removal choices: after the page loads and after an upload or
        a removal changed the documents."""
        now = texts()
        state: tuple[Any, ...] = (
            f"# {now.title}\n{now.description}", gr.update(placeholder=now.placeholder),
            gr.update(visible=bool(now.examples)), now.title, documents_html(assistant),
        )
        if added is not None:
            state += (gr.update(choices=removable_files(settings.corpus_dir), value=None),)
        return state

    first = texts()
    with gr.Blocks(title=first.title, delete_cache=(3600, 3600)) as demo:
        turns = gr.State([])
        header = gr.Markdown(f"# {first.title}\n{first.description}")
        page_title = gr.Textbox(first.title, visible="hidden")
        # Tall enough for a whole question and reply (answer, confidence, three citations): the chat
        # scrolls to its end on each reply, and at 520 px that scrolled the question out of view and
        # the answer's first line under the chat's label.
        chat = gr.Chatbot(
            label="tilqa", height="75vh", min_height=520, sanitize_html=True, render_markdown=True, elem_id="chat",
            group_consecutive_messages=False,  # an upload's notice is its own bubble, not part of the last answer
            latex_delimiters=[],  # corpus text is shown as text: "$$x$$" is never mathematics
        )
        with gr.Row():
            box = gr.Textbox(placeholder=first.placeholder, show_label=False, scale=8, elem_id="question")
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
            status = gr.HTML("", elem_id="upload-status")
        note = f" ({settings.chat_examples_note})" if settings.chat_examples_note else ""
        with gr.Column(visible=bool(first.examples)) as examples:
            gr.Markdown(f"**Examples**{note}")
            with gr.Row():
                buttons = [gr.Button(q, size="sm", elem_classes=["example"]) for q in settings.chat_examples]
        with gr.Accordion("Documents", open=False, elem_id="documents"):
            table = gr.HTML(documents_html(assistant), elem_id="document-list")
            if added is not None:
                with gr.Row():
                    choice = gr.Dropdown(
                        removable_files(settings.corpus_dir), value=None, label="Remove a document from the corpus",
                        elem_id="remove-choice", scale=4,
                    )
                    remove = gr.Button("Remove", variant="stop", elem_id="remove", scale=1)
        shown = [header, box, examples, page_title, table] + ([choice] if added is not None else [])
        set_title = "(t) => { if (t) document.title = t; }"
        demo.load(page_state, None, shown, api_visibility="private", show_progress="hidden").then(
            None, [page_title], None, js=set_title, api_visibility="private"
        )
        box.submit(respond, [box, chat, turns], [chat, box, turns], api_visibility="private")
        send.click(respond, [box, chat, turns], [chat, box, turns], api_visibility="private")
        for button, question in zip(buttons, settings.chat_examples):
            button.click(example(question), [chat, turns], [chat, box, turns], api_visibility="private")
        gr.api(ask, api_name="ask")
        if added is not None:
            _upload_events(demo, added, upload, chat, status, (choice, remove), shown, page_state, (page_title, set_title))
    return demo


def _status_html(text: str) -> str:
    return f"<p class='progress' role='status'><small>⏳ {as_text(text)}</small></p>" if text else ""


def _upload_events(
    demo: gr.Blocks, added: UploadJobs, upload: gr.UploadButton, chat: gr.Chatbot, status: gr.HTML,
    removal: tuple[gr.Dropdown, gr.Button], shown: list[Any], page_state: Callable[[], tuple[Any, ...]],
    title: tuple[gr.Textbox, str],
) -> None:
    """The page's upload and removal (done at once, indexed in the background, the chat told
    through notices a timer fetches, with a status line while indexing runs, the Documents panel
    and page texts refreshed when it ends) and the `/add` API (which waits until the files are
    searchable)."""
    notices = gr.JSON(visible="hidden", elem_id="upload-notices")
    timer = gr.Timer(NOTICE_SECONDS, active=False)
    choice, remove = removal

    def on_upload(paths: list[str] | None, request: gr.Request) -> tuple[Any, ...]:
        session = request.session_hash or ""
        added.from_page(paths, session)
        return added.notices.pending(session), gr.Timer(active=True), _status_html(added.notices.status(session))

    def on_remove(source: str | None, request: gr.Request) -> tuple[Any, ...]:
        session = request.session_hash or ""
        if not source:
            added.notices.post(session, "not removed: choose a document to remove first")
        else:
            added.remove_from_page(source, session)
        return added.notices.pending(session), gr.Timer(active=True), _status_html(added.notices.status(session))

    def on_tick(history: list[dict[str, Any]] | None, request: gr.Request) -> tuple[Any, ...]:
        session = request.session_hash or ""
        pending = added.notices.pending(session, history)
        busy = added.notices.busy(session)
        # Nothing new: leave the notices (and so the chat) alone, not even re-rendered; the page's
        # texts and Documents panel change only when a job has told its outcome.
        refreshed = page_state() if pending else tuple(gr.skip() for _ in shown)
        return (pending or gr.skip(), gr.Timer(active=bool(pending) or busy),
                _status_html(added.notices.status(session)), *refreshed)

    def forget(request: gr.Request) -> None:
        added.notices.forget(request.session_hash or "")

    upload.upload(on_upload, [upload], [notices, timer, status], api_visibility="private")
    remove.click(on_remove, [choice], [notices, timer, status], api_visibility="private")
    timer.tick(
        on_tick, [chat], [notices, timer, status, *shown], api_visibility="private", show_progress="hidden"
    ).then(None, [title[0]], None, js=title[1], api_visibility="private")
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
