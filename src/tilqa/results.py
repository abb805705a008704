"""What a question gets back: an `Answer` with its `Citation`s, both plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Citation:
    """A passage of the corpus: `assistant.document_text(source)[start:end] == text`, where
    `document_text` is the text tilqa extracted from the file (for a `.txt` file, the file's
    text itself).

    `answer_start`/`answer_end` locate the answer inside `text`, or are None when this passage
    does not contain it. `page` is the 1-based page where the passage starts, for a PDF; None
    for formats without pages.
    """

    source: str
    start: int
    end: int
    text: str
    section: str
    score: float
    answer_start: int | None = None
    answer_end: int | None = None
    page: int | None = None

    @property
    def marked(self) -> str | None:
        """The answer this passage marks (`text[answer_start:answer_end]`), or None."""
        return None if self.answer_start is None else self.text[self.answer_start : self.answer_end]

    @property
    def where(self) -> str:
        """The source, with its page when it has one: `report.pdf p. 4`."""
        return f"{self.source} p. {self.page}" if self.page is not None else self.source

    def to_dict(self) -> dict[str, Any]:
        """The citation as plain JSON-ready values."""
        return asdict(self)


@dataclass(frozen=True)
class Answer:
    """An extractive answer: `answer` is copied verbatim from the first citation, or "" when the
    corpus does not answer (`found` False); the closest passages are cited either way. `question`
    is the question as answered, cleaned by `question.clean_question`; `understood_as` the
    self-contained question that was searched: the question itself, unless it was a follow-up
    that leaned on the conversation before it ("when did it start?"). `alternatives` are other
    documents' answers giving another value of what was asked, when documents disagree."""

    question: str
    answer: str
    found: bool
    confidence: float
    citations: list[Citation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Where other documents give another value of what was asked (two response rates, two
    # dates): their passages, each marking its answer, best first. Empty when none disagrees.
    alternatives: list[Citation] = field(default_factory=list)
    understood_as: str = ""

    def __post_init__(self) -> None:
        if not self.understood_as:
            object.__setattr__(self, "understood_as", self.question)

    def to_dict(self) -> dict[str, Any]:
        """The answer as plain JSON-ready values (what `tilqa ask --json` prints)."""
        return {
            "question": self.question,
            "answer": self.answer,
            "found": self.found,
            "confidence": self.confidence,
            "citations": [c.to_dict() for c in self.citations],
            "notes": list(self.notes),
            "alternatives": [c.to_dict() for c in self.alternatives],
            "understood_as": self.understood_as,
        }
