"""Whether a sentence holds what a question asks for (asked.py says what that is): a fact of
the expected kind (`has_type`: an amount, a percentage, a number, a duration, a date, a measure, a
person in a role, a place, a name or an identifier), a definition of the term asked about
(`defines`), the expansion of an abbreviation (`expands`), or the thing an exclusion question sets
aside, named alone (`sets_aside`).

The patterns of a kind of fact are general (month names, units, organisation suffixes; no term
from a question set). asked.py reads `ROLES`, `DATE`, `MEASURE` and `FIGURE` as well: a question
naming a role asks for a person, and a yes/no question holding a date or a figure asks for one.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lexical import TOKEN_PATTERN, fold, terms

# Roles a person holds ("head" and "leader" only in questions: "head and neck", "a leader in").
ROLES = (
    r"ceo|cfo|coo|cso|cmo|cto|president|vice president|chair|chairman|chairwoman|chairperson|founder|"
    r"co-?founder|chief [\w ]*officer|chief executive|director|managing director|inventor|investigator"
)

_MONEY = re.compile(r"[$€£¥]\s?\d|\b\d[\d,.]*\s?(dollars?|euros?|usd|eur|million|billion|thousand)\b", re.I)
# A quantity: a number standing alone (not part of a code such as "C-144-01", "PD-1" or the label
# "Phase 2"), or a number word.
_DIGITS = r"(?<![\w-])(?<!phase )\d[\d,.]*(?![\w-])"
_NUMBER = re.compile(
    rf"{_DIGITS}|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozens?|hundreds?|"
    r"thousands?|several|multiple|many|few|numerous|single)\b",
    re.I,
)
_PERCENT = re.compile(r"\d\s?%|\b(percent|per cent|percentage)\b", re.I)
# A person in a role: a personal title or degree, a role, or "led by", "founded by"…
_PERSON = re.compile(
    rf"(?-i:\b(Dr|Mr|Mrs|Ms|Prof)\.?\s+[A-Z])|\b(M\.D|Ph\.D)\b|\b({ROLES})s?\b|\b(led|founded|co-?founded|headed|run|invented) by\b",
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
_SPAN = (
    r"\b(\d[\d,.]*(\s?[-–—]\s?\d[\d,.]*)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"several|few|many)[\s-]+(minutes?|hours?|days?|weeks?|months?|years?|decades?)\b"
)
_DURATION = re.compile(_SPAN, re.I)
# A point in time: a year, a month's name, a quarter or half, a calendar date, a time relative to
# now ("next year", "late 2025"), or a span anchored to an event ("within 22 days", "5–7 weeks
# from resection").
DATE = re.compile(
    r"\b(1[89]\d\d|20\d\d)\b"
    rf"|(?-i:\b(January|February|March|April|May|June|July|August|September|October|November|December)\b)"
    rf"|(?-i:\b(Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+\d)"
    r"|\bQ[1-4]\b|\b(first|second|third|fourth|1st|2nd|3rd|4th)\s+(quarter|half)\b"
    r"|\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b"
    r"|\b(this|next|last|previous|coming|following)\s+(year|month|quarter|week|spring|summer|autumn|fall|winter)\b"
    r"|\b(today|yesterday|tomorrow)\b"
    rf"|{_SPAN}\s+(after|from|following|before|later|ago|post)\b|\b(after|within|following|in)\s+{_SPAN}",
    re.I,
)
# A number with a unit or a percentage: "12.4 months", "31%", "2 mg/kg", "10⁹ cells", "3-fold".
MEASURE = re.compile(
    r"\d\s?%|\b(percent|per cent)\b"
    rf"|{_SPAN}"
    r"|\d[\d,.]*\s?(×\s?10\S*\s?)?(mg|g|kg|µg|mcg|ug|ml|mL|l|IU|MIU|units?|mm|cm|m|km|cells|patients|fold|x)\b"
    r"|\b\d[\d,.]*-fold\b|\b\d[\d,.]*\s+(of|out of)\s+\d",
    re.I,
)
_COMPARED_MEASURE = re.compile(
    rf"{MEASURE.pattern}|\b(higher|lower|greater|smaller|longer|shorter|better|worse|more|less|fewer|"
    r"increased?|increases|decreased?|decreases|improved?|improves|reduced?|reduces|doubled?|halved?|"
    r"superior|inferior|similar|comparable)\b",
    re.I,
)
# An identifier: a registry number (NCT02360579) or a code of letters and at least three digits
# (C-144-01, TILVANCE-301, KEYNOTE-006), not a gene's or a protein's name (PD-1, IL-2, CTLA-4).
_IDENTIFIER = re.compile(
    r"\bNCT\d{8}\b|\b[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*-\d{3,}\b|\b[A-Za-z]+-\d+-\d+\b"
)
# A figure a question holds: a number in digits standing alone (not in a code or a label such as
# "Phase 3"), as `_NUMBER` reads one.
FIGURE = re.compile(_DIGITS, re.I)
# A named organisation: a name ending like one ("… University", "… Limited", "… Agency") or
# starting so ("University of …"); or any capitalised name the question does not hold (checked in
# `has_type`).
_ORGANISATION = re.compile(
    r"(?-i:\b[A-Z][\w&.-]*\s+(Inc|Corp|Corporation|Ltd|Limited|LLC|GmbH|AG|plc|SA|NV|University|Institute|"
    r"Cent(er|re)|Hospital|Clinic|Agency|Administration|Foundation|Association|Society|College|Laborator(y|ies)|"
    r"Pharmaceuticals?|Therapeutics|Biotherapeutics|Biotechnologies|Biosciences|Group|Company)\b)"
    r"|(?-i:\b(University|Institute|College)\s+of\s+[A-Z])",
)
# A capitalised word inside a sentence (not its first word): a candidate name.
_NAME = re.compile(r"(?<=[\w,;:)’'\"”]\s)(?-i:[A-Z][a-z][\w-]*)")
# Capitalised words that name no organisation or place.
_NOT_NAMES = frozenset(
    "phase january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday".split()
)

# When an organisation was founded: the date of a sentence telling of its renaming, and not of a
# founding, is that of another event ("Originally known as Lion Biotechnologies, Iovance
# transitioned to its current name in 2017" for "when was Lion Biotechnologies founded?"). Only a
# renaming: a founding is told in too many ways ("has its origins in the 1951 agreement", "unified
# … into the second German Empire") for its absence to say the date is another event's.
_FOUNDING_QUESTION = re.compile(r"\b(founded|founding|established|incorporated|set up)\b", re.I)
_RENAMING = re.compile(
    r"\b(renamed|renaming|rebrand\w*|name\s+change|(formerly|originally|previously)\s+(known|called|named)"
    r"|(changed|changing|change of|took|adopted|new|current|present)\s+(its\s+|their\s+)?"
    r"(company\s+|corporate\s+)?names?)\b",
    re.I,
)
_FOUNDING = re.compile(
    r"\b(found(ed|ing|er|ers|ation)|co-?found\w*|establish\w*|incorporat\w*|set up|formed|formation|inception)\b",
    re.I,
)


def _renaming_only(text: str) -> bool:
    """Whether `text` tells of a renaming and of no founding."""
    return _RENAMING.search(text) is not None and _FOUNDING.search(text) is None


# The pattern a sentence holding each kind of fact that `asked.expected_type` names matches.
_HOLDS = {
    "money": _MONEY,
    "percent": _PERCENT,
    "dose": _NUMBER,
    "person": _PERSON,
    "place": _PLACE,
    "named place": _PLACE,
    "duration": _DURATION,
    "year": _YEAR,
    "date": DATE,
    "compared measure": _COMPARED_MEASURE,
    "measure": MEASURE,
    "organisation": _ORGANISATION,
    "identifier": _IDENTIFIER,
    "number": _NUMBER,
}


def has_type(text: str, kind: str | None, question: str = "") -> bool:
    """Whether `text` holds a fact of the expected kind (always True for None). An organisation
    or a named place may also be any capitalised name that `question` does not hold ("Spain" for
    "which country ruled California?"). A date asked of a founding is not that of a renaming."""
    if kind is None:
        return True
    if kind in ("date", "year") and _FOUNDING_QUESTION.search(question) and _renaming_only(text):
        return False
    if _HOLDS[kind].search(text):
        return True
    if kind in ("organisation", "named place"):
        asked = {w.lower() for w in re.findall(r"[\w-]+", question)}
        return any(n.lower() not in asked and n.lower() not in _NOT_NAMES for n in _NAME.findall(text))
    return False


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


def expands(text: str, abbreviation: str) -> bool:
    """Whether `text` spells `abbreviation` out: a gloss in parentheses before or after it, or
    "X stands for"."""
    x = re.escape(abbreviation) + r"s?"
    spelled_out = rf"\([^)]*\b{x}\)|\b{x}\s*\(|\b{x}\s+(?:stands|is\s+short)\s+for\b"
    return re.search(spelled_out, fold(text), re.I) is not None


# Words that make X one of several in a sentence ("Beyond melanoma, …", "anti-PD-1 treatments or
# targeted therapies", "costs, logistical complexity, and …"), within a few words of it.
_OTHERS = re.compile(
    r"^(beyond|besides|other|apart|aside|addition|not|also|along|and|or|plus|versus|vs|than|well)$", re.I
)
OTHERS_WINDOW = 5  # words either side of X; lists of two or three short items ("A, B, and C") fit


def sets_aside(text: str, aside: str) -> bool:
    """Whether `text` names what an exclusion question sets aside (every content word of it, as
    stems) and nowhere as one of several: then it answers about X, not about the others. X is one
    of several when a word such as "beyond", "and" or "or" stands within OTHERS_WINDOW words of it
    (or inside it), when a comma stands just before it ("called combustion chamber, firebox"), or
    when a comma follows it closely and an "and" or "or" comes later (a list of longer items:
    "Moffitt Cancer Center, MD Anderson Cancer Center, and …")."""
    wanted = terms([aside])[0]
    if not wanted:
        return False
    tokens = re.findall(rf"{TOKEN_PATTERN}|,", fold(text))
    words = [t for t in tokens if t != ","]
    stems = iter(terms(words) if words else [])
    tokenized = [[] if t == "," else next(stems) for t in tokens]
    if not set(wanted) <= {t for word in tokenized for t in word}:
        return False
    span = len(aside.split()) + OTHERS_WINDOW
    for i, word in enumerate(tokenized):
        if wanted[0] not in word:
            continue
        last = next((j for j in range(i, min(len(tokens), i + span)) if wanted[-1] in tokenized[j]), i)
        near = tokens[max(0, i - OTHERS_WINDOW) : last + 1 + OTHERS_WINDOW]
        after = tokens[last + 1 :]
        listed = (i > 0 and tokens[i - 1] == ",") or ("," in after[:4] and {"and", "or"} & {t.lower() for t in after})
        if listed or any(_OTHERS.match(t) for t in near):
            return False
    return True
