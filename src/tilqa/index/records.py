"""What an index holds, row by row: passages and sentences with their exact spans, the loaded
index as a whole, and the report of a build."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Mapping, Sequence, TypeVar, overload

import numpy as np

from ..documents import SECTION_SEPARATOR, Document, Heading, SkippedFile
from ..lexical import LexicalIndex
from ..token_scoring import SentenceTokens

T = TypeVar("T")

if TYPE_CHECKING:
    from .vectors import VectorSearch


@dataclass(frozen=True)
class PassageRecord:
    """A passage: `text` is its document's text from `start` to `end`."""

    source: str
    start: int
    end: int
    text: str
    section: str
    sentences: tuple[int, ...]  # rows of IndexData.sentences
    page: int | None = None  # 1-based page where the passage starts (PDF); None without pages


@dataclass(frozen=True)
class SentenceRecord:
    source: str
    start: int
    end: int
    text: str


# The records as the index stores them: one row a passage or sentence, numbers only; the text of
# a record is its document's text from `start` to `end`, read when the record is asked for.
PASSAGE_FIELDS = np.dtype([("source", "<i4"), ("start", "<i8"), ("end", "<i8"), ("page", "<i4"), ("section", "<i4")])
SENTENCE_FIELDS = np.dtype([("source", "<i4"), ("start", "<i8"), ("end", "<i8"), ("section", "<i4")])
DOCUMENT_CACHE = 256  # documents kept decoded: the few a question's candidates come from


class DocumentStore(Mapping[str, Document]):
    """The documents of a build, by source: a line of `documents.jsonl` each, decoded when asked
    for (the most recent `DOCUMENT_CACHE` kept), so opening an index reads none of them."""

    def __init__(self, read: Callable[[int], Document], sources: Sequence[str]) -> None:
        """`read(number)` decodes document `number`; `sources` are the documents' names."""
        self._read = read
        self.sources = list(sources)  # by document number, as records refer to them
        self._number = {source: i for i, source in enumerate(self.sources)}
        self._decoded: OrderedDict[int, Document] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self.sources)

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __contains__(self, source: object) -> bool:
        return source in self._number

    def __getitem__(self, source: str) -> Document:
        return self.by_number(self._number[source])

    def read(self, number: int) -> Document:
        """Document `number`, decoded now and not kept."""
        return self._read(number)

    def number(self, source: str) -> int:
        """The document number records refer to `source` by."""
        return self._number[source]

    def by_number(self, number: int) -> Document:
        """Document `number`, kept decoded among the most recent `DOCUMENT_CACHE`."""
        with self._lock:
            document = self._decoded.get(number)
            if document is not None:
                self._decoded.move_to_end(number)
                return document
        document = self._read(number)
        with self._lock:
            self._decoded[number] = document
            while len(self._decoded) > DOCUMENT_CACHE:
                self._decoded.popitem(last=False)
        return document


def document_to_json(d: Document) -> str:
    """A document as its line of documents.jsonl (without the newline)."""
    headings = None if d.headings is None else [[h.start, h.end, h.level] for h in d.headings]
    row = {"source": d.source, "sha256": d.sha256, "format": d.format, "pages": list(d.pages),
           "headings": headings, "text": d.text}
    return json.dumps(row, ensure_ascii=False)


def document_from_json(line: bytes | str) -> Document:
    """The document a line of documents.jsonl holds."""
    row = json.loads(line)
    headings = row["headings"]
    return Document(
        source=row["source"], text=row["text"], sha256=row["sha256"], format=row["format"],
        headings=None if headings is None else tuple(Heading(start=s, end=e, level=v) for s, e, v in headings),
        pages=tuple(row["pages"]),
    )


class _Table(Sequence[T]):
    """Records made on demand from rows of numbers and their documents' text."""

    def __init__(self, rows: np.ndarray, documents: DocumentStore, sections: Sequence[str]) -> None:
        self.rows = rows
        self.documents = documents
        self.sections = sections

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> T: ...
    @overload
    def __getitem__(self, i: slice) -> list[T]: ...
    def __getitem__(self, i: int | slice) -> T | list[T]:
        if isinstance(i, slice):
            return [self._record(j) for j in range(*i.indices(len(self)))]
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        return self._record(int(i) % len(self))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and len(self) == len(other) and all(a == b for a, b in zip(self, other))

    __hash__ = None  # type: ignore[assignment]

    def _record(self, i: int) -> T:
        raise NotImplementedError

    def _text(self, row: np.void) -> tuple[str, str]:
        document = self.documents.by_number(int(row["source"]))
        return document.source, document.text[int(row["start"]) : int(row["end"])]


class SentenceTable(_Table[SentenceRecord]):
    """The sentences of an index (SENTENCE_FIELDS rows), as SentenceRecords."""

    def _record(self, i: int) -> SentenceRecord:
        row = self.rows[i]
        source, text = self._text(row)
        return SentenceRecord(source=source, start=int(row["start"]), end=int(row["end"]), text=text)

    def section(self, i: int) -> str:
        """The heading path of sentence i (that of the first passage holding it)."""
        return self.sections[int(self.rows[i]["section"])]


class PassageTable(_Table[PassageRecord]):
    """The passages of an index (PASSAGE_FIELDS rows, and their sentence rows: passage i holds
    `sentence_rows[sentence_offsets[i]:sentence_offsets[i + 1]]`), as PassageRecords."""

    def __init__(
        self, rows: np.ndarray, documents: DocumentStore, sections: Sequence[str],
        sentence_offsets: np.ndarray, sentence_rows: np.ndarray,
    ) -> None:
        super().__init__(rows, documents, sections)
        self.sentence_offsets = sentence_offsets
        self.sentence_rows = sentence_rows

    def _record(self, i: int) -> PassageRecord:
        row = self.rows[i]
        source, text = self._text(row)
        page = int(row["page"])
        return PassageRecord(
            source=source, start=int(row["start"]), end=int(row["end"]), text=text,
            section=self.sections[int(row["section"])], sentences=tuple(self.sentences_of(i).tolist()),
            page=page if page > 0 else None,
        )

    def sentences_of(self, i: int) -> np.ndarray:
        """The sentence rows of passage i."""
        return self.sentence_rows[self.sentence_offsets[i] : self.sentence_offsets[i + 1]]

    def passage_of_sentence_slots(self) -> np.ndarray:
        """For each entry of `sentence_rows`, the passage it belongs to."""
        return np.repeat(np.arange(len(self.rows), dtype=np.int64), np.diff(self.sentence_offsets))


@dataclass(frozen=True)
class IndexData:
    """A loaded index: records, vectors, what the build computed for answering, and the manifest
    they were built with. Opening one reads the small arrays; records, documents and vectors are
    memory-mapped and read as questions need them."""

    build_id: str
    manifest: dict[str, Any]
    passages: PassageTable
    sentences: SentenceTable
    passage_vectors: VectorSearch  # the passages' vectors and search (exact or IVF: manifest "vector_index")
    sentence_vectors: np.ndarray  # float32 rows, memory-mapped
    tokens: SentenceTokens | None  # when built for token scoring
    # The extracted text of every document, by source: what citation offsets index into.
    documents: DocumentStore
    passage_lexical: LexicalIndex  # BM25 over each passage's heading path and text
    sentence_lexical: LexicalIndex  # BM25 over each sentence's heading path and text
    antecedents: np.ndarray  # per sentence: the row of the sentence an anaphoric one refers to, or -1
    typicality: np.ndarray  # per sentence: mean similarity to the other sentences of its document
    # An approximate search index over the sentence vectors, in an index too large to compare a
    # question with every sentence; None when it is compared with every one.
    sentence_search: VectorSearch | None = None


@dataclass(frozen=True)
class BuildReport:
    """What a build did (or that it had nothing to do)."""

    rebuilt: bool
    reason: str
    files: int  # documents indexed
    skipped: tuple[SkippedFile, ...]  # files left out, each with the reason
    passages: int
    sentences: int
    embedded: int
    reused: int
    seconds: float
    extracted: int = 0  # documents whose text was extracted in this build (the rest reused)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        """What happened, in a line, then one line for each file skipped and why."""
        skipped = f", {len(self.skipped)} skipped" if self.skipped else ""
        if not self.rebuilt:
            head = f"index up to date ({self.files} files{skipped}, {self.passages} passages)"
        else:
            head = (
                f"built index: {self.files} files{skipped}, {self.passages} passages, "
                f"{self.sentences} sentences; extracted {self.extracted} files; embedded {self.embedded} "
                f"texts, reused {self.reused}; {self.seconds:.1f} s ({self.reason})"
            )
        return "\n".join([head, *(f"  skipped {s.source}: {s.reason}" for s in self.skipped)])


def passage_embedding_text(section: str, text: str) -> str:
    """What is embedded for a passage: its heading path, then its text."""
    return f"{section}\n{text}" if section else text


def own_heading(section: str) -> str:
    """The last heading of a heading path: the one a sentence sits directly under."""
    return section.rsplit(SECTION_SEPARATOR, 1)[-1]
