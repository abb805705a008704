"""Expected answer types: a question asking "how much" money, "what percentage", "how many", "how
long", "when", "who is the <role>" or "where is … based" is only answered by a sentence that holds
an amount, a percentage, a number, a duration, a date, a person in a role or a place; one asking
"what is X?" is best answered by a sentence that defines X.

A classic check of question-answering systems (the coarse classes of Li and Roth's question
taxonomy that a sentence can be checked for without a tagger): a retrieved sentence about the
right topic that lacks the kind of fact asked for (a price, a count, a year, a name) does not
answer the question. The question patterns are kept narrow, since a false type costs an answer.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexical import fold

# "what is", "what was", … and the contracted "what's", typed "whats" as often as not.
_WHAT_IS = r"what(\s+(is|was|are|were)|['’]?s)"
_MONEY_QUESTION = re.compile(
    r"\bhow much\b.*\b(cost|costs|pay|paid|price|priced|charge|charged|spend|spent|worth|fee|fees|revenue|"
    r"revenues|sales|earn|earned|raise|raised|money|funding)\b"
    rf"|\b{_WHAT_IS}\b.*\b(revenue|revenues|sales|price|valuation|market cap)\b"
    r"|\b(what|how much) (does|did|do|will|would|could)\b.*\bcost\b",
    re.I,
)
_PERCENT_QUESTION = re.compile(
    r"\b(what|which) (percentage|percent|proportion|fraction|share)\b|\bhow many percent\b"
    rf"|\b{_WHAT_IS} (the |its |their )?([\w-]+ ){{0,3}}rates?\b",
    re.I,
)
_DOSE_QUESTION = re.compile(r"\b(what|which) (dose|doses|dosage|dosing)\b|\bhow much\b.*\b(dose|doses|dosage)\b", re.I)
# Roles a person holds ("head" and "leader" only in questions: "head and neck", "a leader in").
_ROLES = (
    r"ceo|cfo|coo|cso|cmo|cto|president|vice president|chair|chairman|chairwoman|chairperson|founder|"
    r"co-?founder|chief [\w ]*officer|chief executive|director|managing director|inventor"
)
_PERSON_QUESTION = re.compile(
    rf"\bwho (is|was|are|were|will be|has been)\b.*\b({_ROLES}|head|leader)s?\b",
    re.I,
)
_PLACE_QUESTION = re.compile(
    r"\bwhere (is|are|was|were|does|do|did)\b.*\b(headquartered|headquarters|hq|based|located|incorporated|"
    r"situated|offices?|campus|facility|facilities|plant)\b",
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
_PERCENT = re.compile(r"\d\s?%|\b(percent|per cent|percentage)\b", re.I)
# A person in a role: a personal title or degree, a role, or "led by", "founded by"…
_PERSON = re.compile(
    rf"(?-i:\b(Dr|Mr|Mrs|Ms|Prof)\.?\s+[A-Z])|\b(M\.D|Ph\.D)\b|\b({_ROLES})s?\b|\b(led|founded|co-?founded|headed|run|invented) by\b",
    re.I,
)
# A place: where something is based, or a capitalised name after "in", "at", "near" or "from".
_PLACE = re.compile(
    r"\b(headquartered|headquarters|based in|located in|offices? in|incorporated in|situated in)\b"
    r"|\b(in|at|near|from) (?-i:[A-Z][a-z]+)",
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
    ("percent", _PERCENT_QUESTION, _PERCENT),
    ("dose", _DOSE_QUESTION, _NUMBER),
    ("person", _PERSON_QUESTION, _PERSON),
    ("place", _PLACE_QUESTION, _PLACE),
    ("duration", _DURATION_QUESTION, _DURATION),
    ("year", _YEAR_QUESTION, _YEAR),
    ("number", _COUNT_QUESTION, _NUMBER),
)


def expected_type(question: str) -> str | None:
    """"money", "percent", "dose", "person", "place", "duration", "year", "number", or None when the
    question asks for no particular kind of fact."""
    for name, asks, _ in _CHECKS:
        if asks.search(question):
            return name
    return None


def has_type(text: str, kind: str | None) -> bool:
    """Whether `text` holds a fact of the expected kind (always True for None)."""
    if kind is None:
        return True
    return bool(next(has.search(text) for name, _, has in _CHECKS if name == kind))


# "What is X?", "what's X", "what are X", "who is X", "what does X mean": a question that names a
# term and asks what it is. The term is short and names one thing: not a relation ("the
# difference between …", "the point of …", "Iovance's lead product") or a clause.
_DEFINITION_QUESTION = re.compile(
    rf"^\W*(?:what\s+(?:does|do)\s+(?P<verb_term>.+?)\s+(?:mean|stand\s+for|do)"
    rf"|(?:{_WHAT_IS})(?:\s+(?:an?|the))?\s+(?P<used_term>.+?)\s+used\s+for"
    rf"|(?:{_WHAT_IS}|who\s+(?:is|are|was|were))(?:\s+(?:an?|the))?\s*(?P<term>.*?))[\s?.!]*$",
    re.I,
)
# A relation or a clause, not a term: a preposition, a wh-word or verb, a possessive, or a last word
# that reads as a verb or an adverb ("what was Iovance called before", "what is the study comparing").
_NOT_A_TERM = re.compile(
    r"\b(of|between|for|in|on|to|from|with|about|by|that|which|who|when|where|why|how|does|do|did|is|are)\b"
    r"|['’]s\b|(ing|ed|before|after|now|today|originally)$",
    re.I,
)
MAX_TERM_WORDS = 4
# Definitional patterns around a term X, as in definition question answering (Hildebrandt et al.,
# 2004) and Hearst's hyponym patterns: "X is a …", "X involves …", "X (gloss)", "gloss (X)",
# "…, X, …" (an appositive), "X, a …", "known as X", "Y such as X"; "X, which is/are …" only as a
# copula that says what X is, not a relative clause about it ("TILs, which are believed to…").
_COPULA = r"(?:is|are|was|were)"
_DEFINING_VERBS = (
    rf"{_COPULA}\s+(?:an?|the|one|its|their|designed|used|intended|made|known|called)|"
    r"involves?|refers? to|means?|consists? of|comprises?|represents?|describes?|serves? as|serving as|"
    r"acts? as|works? by|targets?|provides?|enables?|allows?|stands? for"
)


def definition_term(question: str) -> str | None:
    """The term a "what is X?" question asks to have defined, or None for any other question."""
    match = _DEFINITION_QUESTION.match(question.strip())
    if not match:
        return None
    term = next((t for t in match.group("verb_term", "used_term", "term") if t), "").strip(" \t\"'“”‘’®")
    if not term or len(term.split()) > MAX_TERM_WORDS or _NOT_A_TERM.search(term):
        return None
    return term


def defines(text: str, term: str) -> bool:
    """Whether `text` holds `term` in a defining construction (case-insensitive, Unicode dashes
    folded; the term's plural or singular and a trailing ® allowed)."""
    return _definition_pattern(term).search(fold(text)) is not None


@lru_cache(maxsize=64)
def _definition_pattern(term: str) -> re.Pattern[str]:
    """The defining constructions around `term`, compiled once per term (not once per candidate)."""
    singular = re.sub(r"(?<=[^s])s$", "", fold(term), flags=re.I)  # "TILs" is defined as "(TIL)"
    x = re.escape(singular).replace(r"\ ", r"\s+") + r"(?:e?s)?®?"
    return re.compile(
        rf"\b{x}\s+(?:{_DEFINING_VERBS})\b"
        rf"|\b{x}\s*\(|\([^)]*\b{x}\)"
        rf"|,\s*{x}\s*,|\b{x}(?:,|\s*-)\s*(?:an?|the|its|their|(?:which|who)\s+{_COPULA}\s+(?!\w+(?:ed|en|ly)\b))\b"
        rf"|\b(?:known as|called|named|such as|including|especially)\s+(?:the\s+)?{x}\b",
        re.I,
    )
