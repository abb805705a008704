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


def render_answer(answer: Answer, source_links: bool = True) -> str:
    """The reply shown in the chat: answer (or "not found"), notes, then numbered citations, each
    with a link to its place in the document (`source_links`)."""
    parts = []
    if answer.found:
        parts.append(f"<p><strong>{as_text(answer.answer)}</strong></p>")
    else:
        parts.append("<p><strong>Not found in the corpus.</strong> The closest passages are below.</p>")
    for other in answer.alternatives:
        parts.append(f"<p>Other documents differ: {as_text(other.marked or '')} (<code>{as_text(other.where)}</code>)</p>")
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
