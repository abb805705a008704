"""Cleaning a question before it is answered: the rules every way in shares."""

from __future__ import annotations

import re
import unicodedata

from .errors import QuestionError

_SPACE = re.compile(r"\s+")
# Control characters (NUL included), invisible format characters (U+202E, which reverses the
# text shown after it; U+FEFF; zero-width joiners), lone surrogates, private-use and unassigned
# code points.
_REMOVED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
# Contractions typed without their apostrophe ("dont", "whats"): the embedding model cuts "dont"
# into the word pieces "don" + "##t", which it reads as neither "don't" nor "do not". Only forms
# that a question hardly ever means as a word of their own ("cant", "wont" and "hows" are rare
# nouns); "its", "well", "were", "ill", "shell", "lets" and "id" are common words, so they stay
# as typed.
UNAPOSTROPHIZED = re.compile(
    r"\b(?:(?:do|does|did|is|are|was|were|has|have|had|could|should|would|must|need|ca|wo|ai)nt"
    r"|(?:what|how|where|who|when|that|there|here)s)\b",
    re.I,
)


def _removed(ch: str) -> bool:
    return not ch.isspace() and unicodedata.category(ch) in _REMOVED_CATEGORIES


def restore_apostrophes(text: str) -> str:
    """`text` with the apostrophe put back into contractions typed without one: "dont" becomes
    "don't", "Whats" "What's"."""
    return UNAPOSTROPHIZED.sub(lambda m: f"{m[0][:-1]}'{m[0][-1]}", text)


def clean_question(question: object, max_chars: int) -> tuple[str, list[str]]:
    """The question with control characters removed, white space collapsed and the apostrophes
    of contractions restored, cut to `max_chars`; plus notes on what was changed (restored
    apostrophes are not noted). Raises QuestionError when nothing is left."""
    if not isinstance(question, str):
        raise QuestionError(f"the question must be text, not {type(question).__name__}")
    notes: list[str] = []
    removed = sum(1 for ch in question if _removed(ch))
    if removed:
        notes.append(f"{removed} control character(s) were removed from the question")
    text = restore_apostrophes(_SPACE.sub(" ", "".join(ch for ch in question if not _removed(ch))).strip())
    if not text:
        raise QuestionError("the question is empty: type a question about the corpus")
    if len(text) > max_chars:
        head = text[:max_chars]
        cut = head.rsplit(" ", 1)[0] if " " in head else head
        notes.append(f"the question was {len(text):,} characters; only its first {len(cut):,} were used")
        text = cut
    return text, notes
