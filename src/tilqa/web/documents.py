"""The chat's Documents panel and the page's texts: what the index holds (type, pages, passages,
when added), the corpus files it left out with the reason, and the title, description,
placeholder and examples that fit the documents being searched."""

from __future__ import annotations

import dataclasses
import html
from dataclasses import dataclass

from ..assistant import Assistant
from ..config import Settings

# The shipped corpus: the chat's default texts describe it, and only it.
SHIPPED_SOURCES = frozenset({"iovance-rd-focus.txt"})
_TEXT_FIELDS = ("chat_title", "chat_description", "chat_placeholder", "chat_examples", "chat_examples_note")
NEUTRAL_TITLE = "tilqa — questions about your documents"
NEUTRAL_DESCRIPTION = (
    "Questions about the documents listed under Documents. Every answer is a sentence copied verbatim "
    "from them, with its sources; when they do not answer, tilqa says so."
)
NEUTRAL_PLACEHOLDER = "Ask about the documents…"


@dataclass(frozen=True)
class PageTexts:
    """What the chat page says about what it searches."""

    title: str
    description: str
    placeholder: str
    examples: tuple[str, ...]
    examples_note: str


def page_texts(settings: Settings, sources: set[str] | frozenset[str]) -> PageTexts:
    """The settings' chat texts, except that the default ones (which describe the shipped corpus)
    give way to neutral texts without examples once the indexed `sources` are not the shipped
    corpus: a chat holding other documents never claims to be about Iovance's R&D."""
    texts = PageTexts(
        title=settings.chat_title, description=settings.chat_description, placeholder=settings.chat_placeholder,
        examples=settings.chat_examples, examples_note=settings.chat_examples_note,
    )
    defaults = {f.name: f.default for f in dataclasses.fields(Settings) if f.name in _TEXT_FIELDS}
    customised = any(getattr(settings, name) != value for name, value in defaults.items())
    if customised or set(sources) == SHIPPED_SOURCES:
        return texts
    return PageTexts(
        title=NEUTRAL_TITLE, description=NEUTRAL_DESCRIPTION, placeholder=NEUTRAL_PLACEHOLDER, examples=(),
        examples_note="",
    )


def _count(n: int | None, word: str) -> str:
    return "" if n is None else f"{n} {word}{'' if n == 1 else 's'}"


def documents_html(assistant: Assistant) -> str:
    """The Documents panel: a table of the indexed documents, then the skipped files with reasons."""
    documents = assistant.documents()
    skipped = assistant.skipped_files()
    rows = "".join(
        f"<tr><td class='doc-source'>{html.escape(d.source)}</td><td>{html.escape(d.format)}</td>"
        f"<td>{_count(d.pages, 'page')}</td><td>{_count(d.passages, 'passage')}</td>"
        f"<td>{html.escape((d.modified or '').replace('T', ' ').replace('+00:00', ' UTC'))}</td></tr>"
        for d in documents
    )
    parts = [
        f"<p>{_count(len(documents), 'document')} searchable.</p>",
        "<table class='documents'><thead><tr><th>document</th><th>type</th><th>pages</th><th>passages</th>"
        f"<th>added or changed</th></tr></thead><tbody>{rows}</tbody></table>",
    ]
    if skipped:
        items = "".join(
            f"<li><span class='doc-source'>{html.escape(s.source)}</span>: {html.escape(s.reason)}</li>"
            for s in skipped
        )
        parts.append(f"<p>Not searchable ({len(skipped)}):</p><ul class='skipped'>{items}</ul>")
    return "<div id='document-table'>" + "".join(parts) + "</div>"
