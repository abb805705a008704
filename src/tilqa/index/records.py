"""What an index holds, row by row: passages and sentences with their exact spans, the loaded
index as a whole, and the report of a build."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from ..chunking import SECTION_SEPARATOR
from ..corpus import Document, SkippedFile
from ..token_scoring import SentenceTokens

if TYPE_CHECKING:  # faiss loads on first use, not on `import tilqa`
    import faiss


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


@dataclass(frozen=True)
class IndexData:
    """A loaded index: records, vectors and the manifest they were built with."""

    build_id: str
    manifest: dict[str, Any]
    passages: tuple[PassageRecord, ...]
    sentences: tuple[SentenceRecord, ...]
    passage_vectors: faiss.Index  # the passages' search index (exact or IVF: manifest "vector_index")
    sentence_vectors: np.ndarray  # float32 rows, memory-mapped
    tokens: SentenceTokens | None = None  # when built for token scoring
    # The extracted text of every document, by source: what citation offsets index into.
    documents: Mapping[str, Document] = field(default_factory=dict)
    # An approximate search index over the sentence vectors, in an index too large to compare a
    # question with every sentence; None when it is compared with every one.
    sentence_search: faiss.Index | None = None


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


def sentence_sections(passages: Sequence[PassageRecord], count: int) -> list[str]:
    """Each of `count` sentences' heading path (that of the first passage holding it)."""
    sections = [""] * count
    for p in passages:
        for row in p.sentences:
            sections[row] = sections[row] or p.section
    return sections


def own_heading(section: str) -> str:
    """The last heading of a heading path: the one a sentence sits directly under."""
    return section.rsplit(SECTION_SEPARATOR, 1)[-1]
