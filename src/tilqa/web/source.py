"""The source view (`GET /source`): a citation shown in its document, the cited passage marked,
every text escaped, under a Content-Security-Policy that lets nothing from a document run or load."""

from __future__ import annotations

import base64
import bisect
import hashlib
import html
import logging
from typing import Mapping
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ..assistant import Assistant
from ..results import Citation
from .guards import logged_in
from .page_image import page_figure

log = logging.getLogger(__name__)

SOURCE_PATH = "/source"


def source_url(c: Citation) -> str:
    """The source view of a citation, relative to the chat page (so it works under a proxy prefix);
    with the answer's place in the document when the passage holds it."""
    query: dict[str, object] = {"source": c.source, "start": c.start, "end": c.end}
    if c.answer_start is not None and c.answer_end is not None:
        query.update(answer_start=c.start + c.answer_start, answer_end=c.start + c.answer_end)
    return "source?" + urlencode(query)


# Scroll to the answer (else the passage); "back to the chat" closes this tab, which the chat opened,
# so the open conversation is where the reader returns (a new page at ./ would be a fresh chat);
# only where the tab cannot be closed does the link load the chat.
_SOURCE_SCRIPT = (
    "const m = document.getElementById('answer') || document.getElementById('cited');"
    " if (m) m.scrollIntoView({block: 'center'});"
    " for (const a of document.querySelectorAll('a.back')) a.addEventListener('click', (e) => {"
    " if (window.opener || history.length <= 1) { e.preventDefault(); window.close();"
    " setTimeout(() => { location.href = a.href; }, 300); } });"
)
_SOURCE_HEADERS = {
    # Only the page's own style and its one script: nothing from a document can run or load.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
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
mark { background: #fff3b0; padding: .1em 0; }
mark .answer { background: #ffd43b; font-weight: bold; }
body.with-page { max-width: 110em; }
main.with-page { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 2em; align-items: start; }
figure.page { margin: 0; position: sticky; top: .5em; }
figure.page .sheet { position: relative; border: 1px solid #bbb; box-shadow: 0 1px 4px #0002; }
figure.page img { display: block; width: 100%; height: auto; }
figure.page .line { position: absolute; background: #ffe06666; mix-blend-mode: multiply; }
figure.page .line.answer { background: #ffb700aa; }
figure.page figcaption, .page-note { font: .85em system-ui, sans-serif; color: #555; margin: .3em 0; }
@media (max-width: 60em) { main.with-page { grid-template-columns: 1fr; } figure.page { position: static; } }
"""


def _source_html(title: str, header: str, body: str, wide: bool = False) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} · tilqa</title><style>{_SOURCE_STYLE}</style></head>"
        f"<body{' class=with-page' if wide else ''}><header>{header}</header>{body}<script>{_SOURCE_SCRIPT}</script></body></html>"
    )


def _problem(status: int, title: str, detail: str) -> tuple[int, str]:
    header = f"<h1>{html.escape(title)}</h1><nav><a class='back' href='./'>back to the chat</a></nav>"
    return status, _source_html(title, header, f"<p>{html.escape(detail)}</p>")


def _whole_number(value: str | None) -> int | None:
    """A query value as a non-negative int, or None when it is not one (no sign, no spaces)."""
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def source_view(assistant: Assistant, query: Mapping[str, str]) -> tuple[int, str]:
    """The source view's status and page for a query `source`, `start`, `end` (and `page`, for a
    PDF): the document's text, escaped, with characters start..end in a <mark id="cited">. A PDF
    shows one page: that of `page`, else the one where the span starts, with "page N of M", its
    text beside the page as rendered, the cited lines highlighted on it.

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
    answer: tuple[int, int] | None = None
    if span and ("answer_start" in query or "answer_end" in query):
        a0, a1 = _whole_number(query.get("answer_start")), _whole_number(query.get("answer_end"))
        if a0 is None or a1 is None or not span[0] <= a0 < a1 <= span[1]:
            return _problem(400, "Bad answer span", "answer_start and answer_end must lie inside the passage, in order.")
        answer = (a0, a1)

    lo, hi, where = 0, len(text), ""
    number = 0
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
        inside = html.escape(text[start:end])
        if answer and answer[0] < end and answer[1] > start:
            a0, a1 = max(answer[0], start), min(answer[1], end)
            inside = (
                html.escape(text[start:a0]) + "<span class='answer' id='answer'>" + html.escape(text[a0:a1])
                + "</span>" + html.escape(text[a1:end])
            )
        shown = html.escape(text[lo:start]) + "<mark id='cited'>" + inside + "</mark>" + html.escape(text[end:hi])
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
        + f"<nav><a class='back' href='./'>back to the chat</a>{''.join(nav)}</nav>"
    )
    body = f"<div class='text'>{shown}</div>"
    if pages and document is not None:
        cited = text[max(span[0], lo):min(span[1], hi)] if span and span[0] < hi and span[1] > lo else ""
        said = text[answer[0]:answer[1]] if answer else ""
        figure = page_figure(assistant.settings.corpus_dir / source, document.sha256, number, cited, said)
        return 200, _source_html(source, header, f"<main class='with-page'>{figure}{body}</main>", wide=True)
    return 200, _source_html(source, header, body)


def source_route(assistant: Assistant) -> Route:
    """GET /source, behind the chat's login."""

    async def endpoint(request: Request) -> HTMLResponse:
        if not await logged_in(request):
            status, page = _problem(401, "Log in first", "Open the chat and log in, then follow the link again.")
        else:
            try:
                status, page = await run_in_threadpool(source_view, assistant, dict(request.query_params))
            except Exception:  # the page must never show a traceback; the log keeps it
                log.exception("source view failed for %s", request.url.query[:300])
                status, page = _problem(500, "Something went wrong", "The document could not be shown; please try again.")
        return HTMLResponse(page, status_code=status, headers=_SOURCE_HEADERS)

    return Route(SOURCE_PATH, endpoint, methods=["GET"])
