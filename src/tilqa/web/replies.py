"""A chat reply as HTML: the answer (or "not found"), its notes and numbered citations, each with a
link to its place in the document. Corpus text and questions are always shown as text."""

from __future__ import annotations

import html

from ..results import Answer, Citation
from .source import source_url


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


def _unshown(c: Citation, shown: dict[str, list[tuple[int, int]]]) -> tuple[int, int]:
    """The part of `c.text` (offsets into it) not already shown by an earlier citation of the
    same document: overlapping passages repeat no text."""
    lo, hi = 0, len(c.text)
    for start, end in shown.get(c.source, []):
        if start <= c.start + lo < end:
            lo = min(len(c.text), end - c.start)
        if start < c.start + hi <= end:
            hi = max(lo, start - c.start)
    return lo, hi


def _shown_part(c: Citation, lo: int, hi: int) -> str:
    """The citation's text from `lo` to `hi`, its answer marked, "…" where text was left out."""
    if (lo, hi) == (0, len(c.text)):
        return _passage(c)
    part = Citation(
        source=c.source, start=c.start + lo, end=c.start + hi, text=c.text[lo:hi], section=c.section,
        score=c.score, page=c.page,
        answer_start=None if c.answer_start is None or c.answer_start < lo or c.answer_end > hi else c.answer_start - lo,
        answer_end=None if c.answer_start is None or c.answer_start < lo or c.answer_end > hi else c.answer_end - lo,
    )
    return ("… " if lo else "") + _passage(part) + (" …" if hi < len(c.text) else "")


def render_answer(answer: Answer, source_links: bool = True) -> str:
    """The reply shown in the chat: what the question was understood as (a follow-up), the answer
    (or "not found"), notes, then numbered citations in the order they are cited, each with a
    link to its place in the document (`source_links`). A passage overlapping an earlier one
    shows only its new text; readers see pages and sections, not character offsets."""
    parts = []
    if answer.understood_as and answer.understood_as != answer.question:
        parts.append(f'<p class="understood"><small>understood as: <em>{as_text(answer.understood_as)}</em></small></p>')
    if answer.found:
        parts.append(f"<p><strong>{as_text(answer.answer)}</strong></p>")
    else:
        parts.append("<p><strong>Not found in the corpus.</strong> The closest passages are below.</p>")
    for other in answer.alternatives:
        parts.append(f"<p>Other documents differ: {as_text(other.marked or '')} (<code>{as_text(other.where)}</code>)</p>")
    parts.append(f"<p><small>confidence {answer.confidence:.2f}</small></p>")
    for note in answer.notes:
        parts.append(f"<p><em>Note: {as_text(note)}</em></p>")
    shown: dict[str, list[tuple[int, int]]] = {}
    for number, c in enumerate(answer.citations, 1):
        lo, hi = _unshown(c, shown)
        if lo >= hi:
            continue  # wholly inside passages already shown
        shown.setdefault(c.source, []).append((c.start, c.end))
        where = c.where
        section = f" · {as_text(c.section)}" if c.section else ""
        link = (
            f' · <a class="source-link" href="{html.escape(source_url(c), quote=True)}" target="_blank" '
            f'rel="noopener">show in document</a>'
            if source_links else ""
        )
        parts.append(
            f"<p><small>[{number}] <code>{as_text(where)}</code>{section}{link}</small><br>"
            f"{_shown_part(c, lo, hi)}</p>"
        )
    return "\n".join(parts)
