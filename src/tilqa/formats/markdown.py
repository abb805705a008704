"""Markdown, parsed with markdown-it-py (CommonMark): the rendered text without the markup.

`#` and underlined headings give headings; emphasis, code and link markup are dropped (link text
and code stay); each paragraph, list item, block quote paragraph and code block is a block.
Raw HTML blocks and YAML front matter are left out: they are markup and metadata, not prose.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from .base import Extracted, TextBuilder
from .text import decode_text

if TYPE_CHECKING:
    from markdown_it.token import Token


def _inline_text(token: Token) -> str:
    """The visible text of an inline token: text and code spans, breaks as spaces."""
    out: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)  # the alt text
        # *_open / *_close (emphasis, links) and inline HTML carry no visible text.
    return "".join(out)


# YAML front matter (Jekyll, Hugo, Obsidian) is metadata, not prose.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def markdown_extracted(source: str) -> Extracted:
    """Text and headings of a Markdown document."""
    from markdown_it import MarkdownIt

    source = _FRONT_MATTER.sub("", source, count=1)
    tokens = MarkdownIt("commonmark").enable(["table", "strikethrough"]).parse(source)
    builder = TextBuilder()
    heading_level: int | None = None
    for token in tokens:
        if token.type == "heading_open":
            heading_level = int(token.tag[1:])
        elif token.type == "heading_close":
            heading_level = None
        elif token.type == "inline":
            if heading_level is not None:
                builder.heading(_inline_text(token), heading_level)
            else:
                builder.paragraph(_inline_text(token))
        elif token.type in ("fence", "code_block"):
            # One block, its lines joined by spaces: no block has a line break inside.
            builder.paragraph(" ".join(line for line in token.content.splitlines() if line.strip()))
    return builder.build("markdown")


def extract_markdown(path: Path) -> Extracted:
    """A Markdown file's text; the same skip reasons as plain text for bad bytes."""
    return markdown_extracted(decode_text(path.read_bytes()))
