"""Word documents (.docx), read with python-docx (MIT).

The body's paragraphs and tables in document order: paragraphs styled "Title" or "Heading N"
(or given an outline level) are headings, each table cell's paragraphs are paragraphs. Page
headers, footers, footnotes and comments live in other parts of the package and are not read.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from .archive import check_archive
from .base import Extracted, ExtractionError, TextBuilder

if TYPE_CHECKING:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

_HEADING_STYLE = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
# An encrypted Office file, and the old binary .doc, are OLE compound files, not zip packages.
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _outline_level(element: object) -> int | None:
    """The w:outlineLvl (0-8) set on a paragraph's or style's properties, if any."""
    ppr = getattr(element, "pPr", None)
    if ppr is None:
        return None
    found = ppr.find(f"{_W}outlineLvl")
    if found is None:
        return None
    value = found.get(f"{_W}val")
    return int(value) if value is not None and value.isdigit() and int(value) < 9 else None


def heading_level(paragraph: Paragraph) -> int | None:
    """The heading level of a paragraph (1 = top), or None for body text.

    The paragraph's own outline level comes first, then its style and the styles that style is
    based on: "Title" is level 1, "Heading N" level N, or the style's outline level.
    """
    own = _outline_level(paragraph._p)
    if own is not None:
        return own + 1
    style = paragraph.style
    seen = 0
    while style is not None and seen < 10:  # based-on chains are short; guard against loops
        name = (style.name or "").strip()
        if name.lower() == "title":
            return 1
        match = _HEADING_STYLE.match(name)
        if match:
            return int(match.group(1))
        level = _outline_level(style.element)
        if level is not None:
            return level + 1
        style = style.base_style
        seen += 1
    return None


def _blocks(container: object) -> Iterator[Paragraph | Table]:
    yield from container.iter_inner_content()  # type: ignore[attr-defined]


def _add_table(table: Table, builder: TextBuilder) -> None:
    seen: set[object] = set()  # the cells' XML elements themselves: ids could be reused
    for row in table.rows:
        for cell in row.cells:
            if cell._tc in seen:  # a merged cell is listed once per grid column it spans
                continue
            seen.add(cell._tc)
            _add_blocks(cell, builder)


def _add_blocks(container: object, builder: TextBuilder) -> None:
    from docx.table import Table

    for block in _blocks(container):
        if isinstance(block, Table):
            _add_table(block, builder)
            continue
        level = heading_level(block)
        if level is None:
            builder.paragraph(block.text)
        else:
            builder.heading(block.text, level)


def extract_docx(path: Path) -> Extracted:
    """A .docx file's body text, with headings from its heading styles."""
    import docx

    with path.open("rb") as f:
        magic = f.read(8)
    if magic == _OLE_MAGIC:
        raise ExtractionError(
            "encrypted (password-protected) Word file, or an old .doc renamed .docx: "
            "remove the password or save it as .docx"
        )
    check_archive(path)
    try:
        document = docx.Document(str(path))
        builder = TextBuilder()
        _add_blocks(document, builder)
    except Exception as exc:  # python-docx raises zip, XML and key errors on damaged files
        raise ExtractionError(f"unreadable DOCX ({type(exc).__name__}: {exc})") from exc
    return builder.build("docx")
