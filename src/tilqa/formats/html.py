"""HTML pages: the main content only, found by trafilatura (Apache-2.0).

Navigation, cookie banners, sidebars, footers and comment threads are left out by trafilatura's
main-content extraction. Its XML output keeps what tilqa needs: `<head rend="hN">` headings with
their levels, paragraphs, list items, table cells, quotes and code, in reading order.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import Extracted, ExtractionError, TextBuilder

if TYPE_CHECKING:
    from lxml.etree import _Element

# Elements of trafilatura's XML that hold text of their own, each a block of ours; `list`,
# `table`, `row` and `quote` only group them. `lb` is a line break inside a block.
_BLOCKS = {"p", "item", "cell", "code", "head"}
_CONTAINERS = {"list", "table", "row", "quote", "div", "main", "doc"}


def _text_of(element: _Element) -> str:
    """The text of an element, nested lists excepted (their items are blocks of their own)."""
    parts: list[str] = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append(" ")
        elif child.tag not in ("list", "table"):
            parts.append(_text_of(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _walk(element: _Element, builder: TextBuilder) -> None:
    for child in element:
        tag = child.tag
        if tag == "head":
            rend = child.get("rend", "h1")
            level = int(rend[1]) if len(rend) == 2 and rend[0] == "h" and rend[1].isdigit() else 1
            builder.heading(_text_of(child), level)
        elif tag in _BLOCKS or (tag in _CONTAINERS and (child.text or "").strip()):
            # A block; or a container with text of its own (`<quote>text</quote>`): one block.
            builder.paragraph(_text_of(child))
            for nested in child:
                if nested.tag in ("list", "table"):  # nested in an item or cell
                    _walk(nested, builder)
        elif tag in _CONTAINERS:
            _walk(child, builder)
        else:
            # Any other element trafilatura may emit (hi, ref, graphic...) outside a block.
            builder.paragraph(_text_of(child))


def html_extracted(data: bytes) -> Extracted:
    """The main content of an HTML page, with its headings."""
    import trafilatura
    from lxml import etree

    options = dict(
        output_format="xml",
        include_comments=False,
        include_tables=True,
        include_images=False,
        include_formatting=False,
        include_links=False,
        with_metadata=True,  # the page's <title>, which heads its text
    )
    try:
        xml = trafilatura.extract(data, **options)
        if xml is None:  # too little found with the default balance: take what there is
            xml = trafilatura.extract(data, favor_recall=True, **options)
        root = None if xml is None else etree.fromstring(xml.encode("utf-8"))
    except ImportError:
        raise  # a library trafilatura imports late: the reader is unavailable, not the page bad
    except Exception as exc:  # trafilatura and lxml raise many types on broken input
        raise ExtractionError(f"unreadable HTML ({type(exc).__name__}: {exc})") from exc
    if root is None:
        raise ExtractionError("no main text found in the HTML page")
    builder = TextBuilder()
    # The page's title heads its text, so that every passage's heading path names the page (a
    # page's own headings seldom repeat what it is about); not when its first heading says it.
    title = " ".join((root.get("title") or "").split())
    first = next((_text_of(h) for main in root.iter("main") for h in main.iter("head")), "")
    if title and title.casefold() != " ".join(first.split()).casefold():
        builder.heading(title, 1)
    for main in root.iter("main"):
        _walk(main, builder)
    return builder.build("html")


def extract_html(path: Path) -> Extracted:
    """An HTML file's main text: one document per file."""
    return html_extracted(path.read_bytes())
