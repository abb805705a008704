"""Expected answer types: a question asking "how much", "how many", "how long", "when" or "what
year" is only answered by a sentence that holds an amount, a number, a duration or a date.

A classic check of question-answering systems: a retrieved sentence about the right topic that
lacks the kind of fact asked for (a price, a count, a year) does not answer the question.
"""

from __future__ import annotations

import re

_MONEY_QUESTION = re.compile(
    r"\bhow much\b.*\b(cost|costs|pay|paid|price|priced|charge|spend|spent|worth|fee|fees)\b"
    r"|\bwhat (is|was|are|were)\b.*\b(revenue|revenues|sales|price|valuation|market cap)\b",
    re.I,
)
_COUNT_QUESTION = re.compile(r"\bhow many\b|\bnumber of\b", re.I)
_DURATION_QUESTION = re.compile(r"\bhow long\b|\bhow many (days|weeks|months|years|hours)\b", re.I)
_YEAR_QUESTION = re.compile(r"\b(what|which) year\b|\bwhen (was|were|did|is|will)\b|\bin what year\b", re.I)

_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars?|euros?|usd|eur|million|billion|thousand)\b", re.I)
# A quantity: a number standing alone (not part of a code such as "C-144-01", "PD-1" or the label
# "Phase 2"), or a number word.
_NUMBER = re.compile(
    r"(?<![\w-])(?<!phase )\d[\d,.]*(?![\w-])|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|several|multiple|many|few|numerous|single)\b",
    re.I,
)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
# A span of time: "5–7 weeks", "three months", "a year", "48 hours".
_DURATION = re.compile(
    r"\b(\d[\d,.]*(\s?[-–—]\s?\d[\d,.]*)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"several|few|many)[\s-]+(minutes?|hours?|days?|weeks?|months?|years?|decades?)\b",
    re.I,
)

# First match wins: "how many weeks" asks for a duration, not a count.
_CHECKS = (
    ("money", _MONEY_QUESTION, _MONEY),
    ("duration", _DURATION_QUESTION, _DURATION),
    ("year", _YEAR_QUESTION, _YEAR),
    ("number", _COUNT_QUESTION, _NUMBER),
)


def expected_type(question: str) -> str | None:
    """"money", "duration", "year", "number", or None when the question asks for no particular kind
    of fact."""
    for name, asks, _ in _CHECKS:
        if asks.search(question):
            return name
    return None


def has_type(text: str, kind: str | None) -> bool:
    """Whether `text` holds a fact of the expected kind (always True for None)."""
    if kind is None:
        return True
    return bool(next(has.search(text) for name, _, has in _CHECKS if name == kind))
