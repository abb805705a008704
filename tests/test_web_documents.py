"""The Documents panel and the page's texts (`tilqa/web/documents.py`)."""

from __future__ import annotations

import html
import re
from pathlib import Path

import tilqa
from tilqa.web.documents import documents_html, page_texts

from helpers import HashEncoder, write_corpus


def test_the_shipped_corpus_keeps_the_settings_texts_and_other_documents_get_neutral_ones() -> None:
    settings = tilqa.Settings()
    shipped = page_texts(settings, {"iovance-rd-focus.txt"})
    assert (shipped.title, shipped.placeholder, shipped.examples) == (
        settings.chat_title, settings.chat_placeholder, settings.chat_examples
    )
    mixed = page_texts(settings, {"iovance-rd-focus.txt", "zephyr-brief.pdf"})
    assert "Iovance" not in mixed.title + mixed.description + mixed.placeholder and mixed.examples == ()


def test_texts_set_for_another_corpus_are_kept_as_set() -> None:
    settings = tilqa.Settings(chat_title="Zephyr notes", chat_examples=("Who makes the Zephyr?",))
    texts = page_texts(settings, {"zephyr-brief.pdf"})
    assert texts.title == "Zephyr notes" and texts.examples == ("Who makes the Zephyr?",)


def test_the_panel_lists_each_document_with_its_counts_and_each_skipped_file_with_its_reason(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {
        "a.txt": "Alpha ferments barley.\n\nAlpha rests a week.", "empty.md": "", "b.md": "# Beta\n\nBeta brews rye.",
    })
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    panel = documents_html(assistant)
    rows = {
        html.unescape(cells[0]): cells
        for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", panel))
        if cells
    }
    assert set(rows) == {d.source for d in assistant.documents()} == {"a.txt", "b.md"}
    for summary in assistant.documents():
        assert rows[summary.source][3] == f"{summary.passages} passage{'s' if summary.passages != 1 else ''}"
        assert rows[summary.source][1] == summary.format
    [skipped] = assistant.skipped_files()
    assert f"{skipped.source}</span>: {html.escape(skipped.reason)}" in panel and skipped.source == "empty.md"


def test_names_are_shown_as_text(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", {"<b>x</b>.txt": "Gamma distils corn."})
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    panel = documents_html(assistant)
    assert "&lt;b&gt;x&lt;/b&gt;.txt" in panel and "<b>" not in panel
