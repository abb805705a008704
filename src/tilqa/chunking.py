"""Splitting a document into headings, paragraphs, sentences (NLTK Punkt) and passages.

Every sentence and passage keeps the exact character span of its file, so citations can point
back into the source. Headings are never answer sentences; each passage carries its heading path.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Iterator

from .documents import SECTION_SEPARATOR, Document, is_date_line

if TYPE_CHECKING:
    from nltk.tokenize.punkt import PunktSentenceTokenizer


# Abbreviations after which a period does not end a sentence. Punkt is unsupervised and would
# learn these from a large corpus; a small one does not teach it enough, and a tokenizer trained on
# the corpus would move sentence boundaries (and so every embedding) whenever a file changes.
ABBREVIATIONS = frozenset(
    "inc ltd co corp llc plc dr mr mrs ms prof st vs etc e.g i.e al fig figs no nos approx "
    "u.s u.k u.s.a jan feb mar apr jun jul aug sep sept oct nov dec ph.d m.d".split()
)

_BULLET = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")
_MARKDOWN_HEADING = re.compile(r"^\s*(#{1,6})\s+")
_SENTENCE_END = tuple(".!?;\"”’')]")
_NOT_HEADING_END = tuple(".!;,\"”’')]")  # a short line ending in "?" can be a (FAQ) heading
MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 14


@dataclass(frozen=True)
class Sentence:
    source: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Passage:
    """Consecutive sentences of one paragraph; `text` is the file's text from start to end."""

    source: str
    start: int
    end: int
    text: str
    section: str
    sentences: tuple[Sentence, ...]
    page: int | None = None  # 1-based page where the passage starts, for documents with pages


@dataclass(frozen=True)
class _Line:
    start: int
    end: int
    text: str


@lru_cache(maxsize=1)
def sentence_tokenizer() -> PunktSentenceTokenizer:
    """Punkt with fixed parameters: deterministic, and no `nltk.download` needed. NLTK is
    imported here, on first use: importing it takes about 2 s."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    return list(sentence_tokenizer().span_tokenize(text))


def _lines(text: str) -> Iterator[_Line]:
    pos = 0
    for raw in text.split("\n"):
        yield _Line(pos, pos + len(raw), raw)
        pos += len(raw) + 1


def heading_text(line: str) -> str | None:
    """The heading a line stands for, or None when the line is prose.

    A heading is a short line that does not end like a sentence ("Current Clinical Trials",
    "- Metastatic Melanoma Trials:"), or a Markdown `#` heading.
    """
    stripped = line.strip()
    if _MARKDOWN_HEADING.match(stripped):
        return _MARKDOWN_HEADING.sub("", stripped).strip() or None
    core = _BULLET.sub("", stripped).strip()
    if not core or not any(c.isalpha() for c in core):
        return None
    if len(core) > MAX_HEADING_CHARS or len(core.split()) > MAX_HEADING_WORDS:
        return None
    if core.endswith(":"):
        return core.rstrip(":").strip()
    if core.endswith(_NOT_HEADING_END):
        return None
    return core


def _heading_level(line: str, block_is_all_headings: bool, first_in_block: bool) -> int:
    md = _MARKDOWN_HEADING.match(line)
    if md:
        return len(md.group(1))
    if block_is_all_headings:
        return 1
    return 2 if first_in_block else 3


def _blocks(text: str) -> Iterator[list[_Line]]:
    """Runs of non-blank lines."""
    block: list[_Line] = []
    for line in _lines(text):
        if line.text.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def _classify(block: list[_Line]) -> list[tuple[_Line, str | None]]:
    """Each line with its heading text, or None for prose. A heading follows a finished line and
    is not continued by the next one (a hard-wrapped line is followed by a lower-case word)."""
    out: list[tuple[_Line, str | None]] = []
    previous_ends_sentence = True
    for number, line in enumerate(block):
        following = block[number + 1].text.lstrip() if number + 1 < len(block) else ""
        continued = following[:1].islower()
        heading = heading_text(line.text) if previous_ends_sentence and not continued else None
        out.append((line, heading))
        stripped = line.text.rstrip()
        previous_ends_sentence = heading is not None or stripped.endswith(_SENTENCE_END + (":",))
    return out


def paragraphs(document: Document) -> Iterator[tuple[int, int, str]]:
    """(start, end, heading path) of each paragraph of the document.

    A document whose extractor listed its headings (every format but plain text) is read by
    them; plain text by the rules below.
    """
    if document.headings is not None:
        yield from _marked_paragraphs(document)
        return
    yield from _plain_paragraphs(document)


def _marked_paragraphs(document: Document) -> Iterator[tuple[int, int, str]]:
    """Paragraphs of extracted text: every line that is not a listed heading is a paragraph (the
    extractors write one block a line, without hard wraps)."""
    levels = {h.start: h.level for h in document.headings or ()}
    headings: dict[int, str] = {}
    for line in _lines(document.text):
        text = line.text.strip()
        if not text:
            continue
        if line.start in levels:
            level = levels[line.start]
            headings = {k: v for k, v in headings.items() if k < level}
            headings[level] = text
        else:
            yield _paragraph([line], headings)


def _plain_paragraphs(document: Document) -> Iterator[tuple[int, int, str]]:
    """Paragraphs of plain text.

    Blank lines, headings and bullet items end paragraphs. Blocks made only of plain-text headings
    before any prose are the document's title matter and do not enter heading paths; Markdown
    `#` headings always do. A line that is only a date ("20 March 2025") is a paragraph of its
    own, under the title when it comes before any prose: it is neither a heading nor prose, but
    it answers "when was this written?".
    """
    headings: dict[int, str] = {}
    title: dict[int, str] = {}
    seen_prose = False
    for block in _blocks(document.text):
        dates = {line.start for line in block if is_date_line(line.text)}
        lines = _classify([line for line in block if line.start not in dates])
        all_headings = bool(lines) and all(h is not None for _, h in lines)
        marked = any(_MARKDOWN_HEADING.match(line.text) for line, _ in lines)
        if all_headings and not seen_prose and not marked:
            title = title or {1: " ".join(h for _, h in lines if h)}
            lines = []
        kind = {line.start: heading for line, heading in lines}
        first = lines[0][0].start if lines else None
        para: list[_Line] = []
        for line in (line for line in block if line.start in dates or line.start in kind):
            if line.start in dates:
                if para:
                    yield _paragraph(para, headings)
                    para = []
                yield _paragraph([line], headings if seen_prose or not title else title)
                continue
            heading = kind[line.start]
            starts_item = bool(_BULLET.match(line.text))
            if para and (heading is not None or starts_item):
                yield _paragraph(para, headings)
                para = []
            if heading is not None:
                level = _heading_level(line.text, all_headings, line.start == first)
                headings = {k: v for k, v in headings.items() if k < level}
                headings[level] = heading
            else:
                para.append(line)
                seen_prose = True
        if para:
            yield _paragraph(para, headings)


def _paragraph(lines: list[_Line], headings: dict[int, str]) -> tuple[int, int, str]:
    first = lines[0]
    bullet = _BULLET.match(first.text)
    start = first.start + (bullet.end() if bullet else len(first.text) - len(first.text.lstrip()))
    end = lines[-1].start + len(lines[-1].text.rstrip())
    section = SECTION_SEPARATOR.join(headings[k] for k in sorted(headings))
    return start, end, section


def chunk_document(
    document: Document, passage_sentences: int = 3, passage_overlap: int = 1, join_short: bool = True
) -> list[Passage]:
    """Passages of `passage_sentences` sentences, overlapping by `passage_overlap`, per paragraph.

    With `join_short`, a paragraph shorter than a passage is read on with the next ones under the
    same heading until the run is a passage long: web pages and news give many sentences a
    paragraph of their own, and such a sentence alone carries neither its subject nor its
    neighbours' words. A dateline stays a paragraph of its own.
    """
    stride = passage_sentences - passage_overlap
    text = document.text
    passages: list[Passage] = []
    for sentences, section in _runs(document, passage_sentences if join_short else 0):
        first = 0
        while True:
            window = sentences[first : first + passage_sentences]
            start, end = window[0].start, window[-1].end
            page = bisect.bisect_right(document.pages, start) if document.pages else None
            passages.append(Passage(
                source=document.source, start=start, end=end, text=text[start:end], section=section,
                sentences=window, page=page,
            ))
            if first + passage_sentences >= len(sentences):
                break
            first += stride
    return passages


def _runs(document: Document, short: int) -> Iterator[tuple[tuple[Sentence, ...], str]]:
    """The sentences of each paragraph with its heading path; paragraphs of fewer than `short`
    sentences joined with the next of the same heading path until the run holds `short`."""
    text = document.text
    run: tuple[Sentence, ...] = ()
    run_section = ""
    for p_start, p_end, section in paragraphs(document):
        sentences = tuple(
            Sentence(source=document.source, start=p_start + s, end=p_start + e, text=text[p_start + s : p_start + e])
            for s, e in sentence_spans(text[p_start:p_end])
        )
        if not sentences:
            continue
        dateline = is_date_line(text[p_start:p_end])
        if run and (section != run_section or dateline or len(run) >= short):
            yield run, run_section
            run = ()
        run, run_section = run + sentences, section
        if dateline:
            yield run, run_section
            run = ()
    if run:
        yield run, run_section
