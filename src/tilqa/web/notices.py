"""Notices: what a page's uploads have to tell its chat (saved, refused, indexed), kept per page
(Gradio session) until the chat shows them, and merged into the chat in the browser."""

from __future__ import annotations

import threading
import time
from typing import Any, Mapping

from .replies import as_text

NOTICE_SECONDS = 1.0  # how often a page with an upload being indexed asks whether it is done


def _message_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text") or "" for part in content if isinstance(part, Mapping))
    return ""


class Notices:
    """What uploads have to tell each page (Gradio session): messages for its chat, kept until the
    page is seen showing them, and how many of its uploads are still being indexed.

    The chat shows them by merging in the browser (`MERGE_NOTICES`), never by a server write that
    could replace the chat with an older copy while a question is being answered. Each message is
    unique (numbered), so a repeated one ("could not add x.xyz" twice) is still shown twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._messages: dict[str, list[str]] = {}
        self._busy: dict[str, list[tuple[str, float]]] = {}

    def post(self, session: str, *texts: str) -> None:
        with self._lock:
            for text in texts:
                self._count += 1
                message = f'<p data-notice="{self._count}"><em>{as_text(text)}</em></p>'
                self._messages.setdefault(session, []).append(message)

    def begin(self, session: str, what: str = "") -> None:
        """A job of this page's has started (`what` it does, e.g. "indexing report.pdf")."""
        with self._lock:
            self._busy.setdefault(session, []).append((what, time.monotonic()))

    def end(self, session: str, what: str = "") -> None:
        """The job `begin` started with `what` has ended."""
        with self._lock:
            jobs = self._busy.get(session, [])
            for i, (label, _) in enumerate(jobs):
                if label == what:
                    del jobs[i]
                    break
            else:
                if jobs:
                    jobs.pop(0)
            if not jobs:
                self._busy.pop(session, None)

    def status(self, session: str) -> str:
        """What this page's jobs are doing and for how long ("indexing a.pdf (12 s so far)"), or ""."""
        now = time.monotonic()
        with self._lock:
            jobs = list(self._busy.get(session, ()))
        return "; ".join(f"{what or 'working'} ({now - started:.0f} s so far)" for what, started in jobs)

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
