"""What a question asks for: a kind of fact (a question asking "how much" money, "what
percentage", "how many", "how long", "when", "what median survival", "who is the <role>", "where
is … based", "which city" or "which company" wants an amount, a percentage, a number, a duration,
a date, a measure, a person in a role, a place or a name), a term to define ("what is X?"), an
abbreviation to spell out, or the date of the document itself; `Asked` holds them all, worked out
once a question. Whether a sentence holds what is asked is holds.py's.

A classic check of question-answering systems (the coarse classes of Li and Roth's question
taxonomy that a sentence can be checked for without a tagger): a retrieved sentence about the
right topic that lacks the kind of fact asked for (a price, a count, a year, a name) does not
answer the question. The question patterns are kept narrow, since a false type costs an answer.

Three kinds of question bring their own check of an answer: a yes/no question naming something
("… a facility in Philadelphia?"), an exclusion question ("other than X, which …?") and a
comparison ("how does X compare with Y?"); see `question_names`, `excluded_term` and
`compared_sides` here, `holds.sets_aside`, and extractor.py for how they rank and cut confidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .holds import DATE, FIGURE, MEASURE, ROLES

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
_PERSON_QUESTION = re.compile(
    rf"\bwho (is|was|are|were|will be|has been)\b.*\b({ROLES}|head|leader)s?\b",
    re.I,
)
_COUNT_QUESTION = re.compile(r"\bhow many\b|\bnumber of\b", re.I)
_DURATION_QUESTION = re.compile(r"\bhow long\b|\bhow many (days|weeks|months|years|hours)\b", re.I)
_YEAR_QUESTION = re.compile(r"\b(what|which) year\b|\bin what year\b", re.I)
# "When did …", "on what date", "by when", "what month / quarter": a point in time, not only a year.
_WHEN = r"\bwhen\s+(is|was|are|were|did|does|do|will|would|has|have|had|can|could|should|might)\b"
_DATE_QUESTION = re.compile(
    rf"{_WHEN}|\b(what|which)\s+(date|day|month|quarter)\b|\b{_WHAT_IS}\s+the\s+date\b"
    r"|^\W*(by|until|since) when\b|\bhow soon\b",
    re.I,
)
# A measure that is not money or a count: a survival, a rate, a median, a size. Only where the
# question asks what it is ("what median …", "what was the response rate", "how large"), or names
# it bare ("median overall survival for …"), never in a yes/no question ("does it improve response
# rates?") or one asking why or how something changes.
_STATISTIC = (
    r"median\b|(overall|progression[- ]free|disease[- ]free|event[- ]free|relapse[- ]free)\s+survival"
    r"|survival\s+(rate|time|benefit|figure|data)s?|(response|remission|survival|relapse|recurrence|mortality|"
    r"success|cure|complication|toxicity|failure|adverse[- ]event)\s+rates?|hazard\s+ratio|odds\s+ratio"
    # The endpoints' abbreviations: objective response and disease control rates, progression-free,
    # disease-free, event-free and overall survival, duration of response.
    r"|duration\s+of\s+response|(?-i:\b(ORR|DCR|PFS|DFS|EFS|OS|DoR|DOR)\b)|\b(orr|dcr|pfs)\b"
)
_AUXILIARY = r"(is|are|was|were|do|does|did|has|have|had|can|could|will|would|should|may|might|must|shall)\b"
_YES_NO_START = rf"^\W*{_AUXILIARY}"
_MEASURE_QUESTION = re.compile(
    rf"^(?!{_YES_NO_START})(?!\W*(why|how)\b(?!\s+(long|large|big|small|high|low|much|many)\b))"
    rf"(.*\b(what|which)\s+([\w-]+\s+){{0,3}}({_STATISTIC})"
    rf"|\W*(the\s+)?([\w-]+\s+){{0,2}}({_STATISTIC})"
    rf"|.*\bhow\s+(large|big|small|high|low)\b"
    rf"|.*\b(which|what)\b.*\b(higher|lower|longer|shorter|better|worse)\s+({_STATISTIC}))",
    re.I,
)
# Two measures compared ("how do response rates with X compare to Y?"): the figures answer, and so
# does a sentence saying which way they differ ("… leads to increased overall response rates").
_COMPARED_MEASURE_QUESTION = re.compile(rf"\bhow\s+(does|do|did)\b.*\b({_STATISTIC}).*\bcompare", re.I)
# Where something is based: "where is … headquartered / located / the site", "where else".
_PLACE_QUESTION = re.compile(
    r"\bwhere (is|are|was|were|does|do|did)\b.*\b(headquartered|headquarters|hq|based|located|incorporated|"
    r"situated|offices?|campus|facility|facilities|plant|sites?)\b|\bwhere\s+else\b",
    re.I,
)
# A named place: "which city", "in what country", "what state".
_NAMED_PLACE_QUESTION = re.compile(
    r"\b(what|which)\s+(city|cities|country|countries|state|states|town|towns|region|regions|province|county)\b",
    re.I,
)
# A named organisation: "which company / university / agency …".
_ORGANISATION_WORDS = (
    r"company|companies|firm|firms|university|universities|institution|institutions|institute|agency|agencies|"
    r"regulator|regulators|organi[sz]ations?|hospital|hospitals|sponsor|sponsors|licensor|manufacturer|"
    r"partner|partners|collaborator|collaborators|(cancer\s+)?cent(er|re)s?"
)
# Words between "which" and the noun qualify it ("which US regulatory agency"); "what kind of company",
# "what does the company get" ask something else.
_QUALIFIER = r"(?!(does|do|did|is|are|was|were|has|have|had|can|will|the|a|an|of|kind|type|sort)\b)[\w-]+\s+"
_ORGANISATION_QUESTION = re.compile(rf"\b(what|which)\s+({_QUALIFIER}){{0,2}}({_ORGANISATION_WORDS})\b", re.I)

# A trial's or a product's identifier: "what is the trial ID", "the NCT number", "trial identifier".
# Only where the identifier is what is asked ("what is the trial ID of …", "trial ID for …"), not
# where it is the subject ("in what districts are the registration numbers …") or the term a
# definition question asks about ("what is a connection identifier?", see `expected_type`).
_IDENTIFIER_WORDS = (
    r"(identifiers?|ids?|nct(\s+(number|id))?|(registration|protocol|study|trial)\s+numbers?"
    r"|(development|product|compound|program|programme|internal|trial|study)\s+codes?|code\s*names?)"
)
_IDENTIFIER_QUESTION = re.compile(
    rf"^\W*((what|which)(\s+(is|was|are|were)|['’]?s)?\s+)?((the|its|their|a|an)\s+)?"
    rf"([\w-]+\s+){{0,2}}{_IDENTIFIER_WORDS}\b",
    re.I,
)

# First match wins: "how many weeks" asks for a duration, not a count.
_CHECKS = (
    ("money", _MONEY_QUESTION),
    ("percent", _PERCENT_QUESTION),
    ("dose", _DOSE_QUESTION),
    ("person", _PERSON_QUESTION),
    ("place", _PLACE_QUESTION),
    ("named place", _NAMED_PLACE_QUESTION),
    ("duration", _DURATION_QUESTION),
    ("year", _YEAR_QUESTION),
    ("date", _DATE_QUESTION),
    ("compared measure", _COMPARED_MEASURE_QUESTION),
    ("measure", _MEASURE_QUESTION),
    ("organisation", _ORGANISATION_QUESTION),
    ("identifier", _IDENTIFIER_QUESTION),
    ("number", _COUNT_QUESTION),
)
# A yes/no question that hinges on a date or a figure ("… approved in February 2024?", "… enrol
# more than 500 patients?") is settled only by a sentence holding a fact of that kind.
_YES_NO_FIGURES = (("date", DATE), ("measure", MEASURE), ("number", FIGURE))


def expected_type(question: str) -> str | None:
    """"money", "percent", "dose", "person", "place", "named place", "duration", "year", "date",
    "compared measure", "measure", "organisation", "identifier", "number", or None when the
    question asks for no particular kind of fact. A yes/no question holding a date, a measure or a
    number asks for one."""
    for name, asks in _CHECKS:
        if asks.search(question):
            if name == "measure" and _defines_a_statistic(question):
                return None
            if name == "identifier" and definition_term(question) is not None:
                return None
            return name
    if is_yes_no(question):
        return next((name for name, holds in _YES_NO_FIGURES if holds.search(question)), None)
    return None


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
# Words that say what kind of word the term is, not part of it: "the abbreviation TIL", "the
# term 'adoptive cell therapy'".
_NAMING_WORD = re.compile(
    r"^(?:the\s+)?(?:acronym|abbreviation|initialism|term|word|phrase|expression)\s+[\"'“‘]?", re.I
)
# Words that hedge the question, not part of the term: "what is X exactly", "what's X, really".
_HEDGE = re.compile(r"[\s,]+(exactly|actually|really|precisely|again|anyway|then|though)$", re.I)


def definition_term(question: str) -> str | None:
    """The term a "what is X?" question asks to have defined, or None for any other question."""
    match = _DEFINITION_QUESTION.match(question.strip())
    if not match:
        return None
    term = next((t for t in match.group("verb_term", "used_term", "term") if t), "").strip(" \t\"'“”‘’®")
    term = _HEDGE.sub("", term)  # "what is proleukin exactly" asks about "proleukin"
    term = _NAMING_WORD.sub("", term)  # "what does the abbreviation TIL stand for" asks about "TIL"
    if not term or len(term.split()) > MAX_TERM_WORDS or _NOT_A_TERM.search(term):
        return None
    return term


def _defines_a_statistic(question: str) -> bool:
    """Whether `question` asks what a statistic is rather than its figure: "what is ORR?", "what
    does PFS stand for", "what does ORR mean in these results", "what's overall survival" (not
    "what was the ORR?", which asks the figure)."""
    term = definition_term(question) or expansion_term(question)
    return (
        term is not None
        and re.match(r"\W*what\s+(was|were)\b", question, re.I) is None
        and re.fullmatch(rf"([\w-]+\s+){{0,2}}({_STATISTIC})", term, re.I) is not None
    )


# "What does TIL stand for?", "what is BLA short for", "what does the acronym ORR mean": only the
# expansion answers, as a gloss in parentheses ("tumor infiltrating lymphocyte (TIL)", "TIL (tumor
# infiltrating lymphocyte)") or said outright ("TIL stands for …").
_EXPANSION_QUESTION = re.compile(
    r"^\W*what\s+(?:does|do|is|are)\s+(?:the\s+)?(?:(?:acronym|abbreviation|initialism)\s+)?(?P<x>[\w-]+)\s+"
    r"(?:stands?\s+for|short\s+for|an?\s+(?:acronym|abbreviation)\s+for)\b"
    r"|^\W*what\s+does\s+the\s+(?:acronym|abbreviation|initialism)\s+(?P<x2>[\w-]+)\s+mean\b"
    # "what does ORR mean (in these results)?": a word written as an abbreviation is, as asked.
    r"|^\W*what\s+(?:does|do)\s+(?P<x3>(?-i:[A-Z][A-Z0-9-]*[A-Z0-9])s?)\s+mean\b",
    re.I,
)


def expansion_term(question: str) -> str | None:
    """The abbreviation whose expansion a question asks for ("what does TIL stand for?", "what
    does ORR mean?"), or None."""
    match = _EXPANSION_QUESTION.match(question.strip())
    return next((x for x in match.group("x", "x2", "x3") if x), None) if match else None


# -- Kinds of question with their own rule ---------------------------------------------------------

# "When was this report written?", "what date is the document dated?": the date of the document
# itself, which its dateline gives (a line holding only a date, which no other question is
# answered by: see chunking.is_date_line and extractor.py).
_DOCUMENT = (
    r"report|document|article|paper|memo|brief|briefing|summary|overview|review|analysis|publication|"
    r"white\s*paper|note|text|file|piece|write-?up"
)
_DOCUMENT_QUESTION = re.compile(rf"\b(this|the|that)\s+([\w&'’-]+\s+){{0,3}}({_DOCUMENT})\b", re.I)
# The words of such a question that ask for the date; the rest says which document ("this report
# on Iovance's R&D"), which its title is to hold.
_DOCUMENT_DATE_WORDS = re.compile(
    rf"\b({_DOCUMENT}|date[ds]?|day|month|year|when|written|wrote|writ|publish\w*|issu\w*|releas\w*|"
    r"prepar\w*|compos\w*|produc\w*|creat\w*)\b",
    re.I,
)


def asks_document_date(question: str) -> bool:
    """Whether `question` asks when the document itself was written, dated or published."""
    return expected_type(question) in ("date", "year") and _DOCUMENT_QUESTION.search(question) is not None


def document_described(question: str) -> str:
    """What a question asking for a document's date says of the document: the question without
    its words asking for the date ("on Iovance's R&D" of "when was this report on Iovance's R&D
    written?")."""
    return _DOCUMENT_DATE_WORDS.sub(" ", question)


# A yes/no question opens with an auxiliary verb ("Is …", "Does …", "Has …", "Can …"), or asks
# it after a title ("Double balloon enteroscopy: is it safe?", as PubMedQA's questions do).
_YES_NO = re.compile(rf"{_YES_NO_START}|[:.?]\s+{_AUXILIARY}", re.I)


# "Why …", "how does / did / can …" ask for a reason or a means; "how many / much / long …" ask for
# an amount.
_WHY_HOW = re.compile(
    r"^\W*(why|how)\b(?!\s+(many|much|long|large|big|small|high|low|often|soon|far|old)\b)", re.I
)


def is_why_or_how(question: str) -> bool:
    """Whether `question` asks why, or how something is done ("how do they make a TIL
    treatment?"), rather than how many, much, long …"""
    return _WHY_HOW.match(question) is not None


def is_yes_no(question: str) -> bool:
    """Whether `question` asks yes or no ("Does Iovance own the rights to Proleukin?")."""
    return _YES_NO.search(question) is not None


def question_names(question: str) -> list[str]:
    """The names a question holds: its words with a capital letter, its first word excepted, of
    three characters or more (a two-letter one reads as a common word once folded: "US" as "us",
    "IT" as "it"; and "US" is "U.S." in many texts)."""
    words = (w.strip("?,.!;:()[]\"'“”‘’") for w in question.split()[1:])
    return [w for w in words if len(w) > 2 and any(c.isupper() for c in w)]


# "Other than X, which …", "besides X what …", "apart from X, does …": X is what the question
# sets aside. It runs to the question word (after a comma or not) or dash that starts the question
# proper, so X may be a list ("besides cervical, head and neck and lung cancer, what …").
_EXCLUSION = re.compile(
    r"\b(other than|besides|apart from|aside from|except for|except|excluding|in addition to)\s+(?P<x>.+?)"
    r"(?=\s*(,\s*)?((in|from|at|on|for|with|to|by|of)\s+)?"
    rf"(\?|;|$|\s[-–—]\s|\b(what|which|who|where|when|how|why)\b|\b{_AUXILIARY}))",
    re.I,
)


def excluded_term(question: str) -> str | None:
    """What an exclusion question ("other than X, which …?") sets aside, or None."""
    match = _EXCLUSION.search(question)
    return match.group("x").strip(" \"'“”‘’") if match else None


# "How does X compare with Y", "how is X different from Y", "X versus Y", "the difference between
# X and Y": Y is what X is held against. It runs to the end of the clause or to a word that
# narrows the comparison ("… CAR-T cell therapy in manufacturing cost", "… for solid tumors").
_NARROWING = r"(?=\s*(,|;|\?|$|\s[-–—]\s|\b(in|for|when|regarding|at|on|by|during)\b))"
_COMPARED = re.compile(
    rf"\b(?:compared?s?|compared|comparison|comparing)\s+(?:with|to|against)\s+(?P<y1>.+?){_NARROWING}"
    rf"|\bdiffer(?:s|ent|ence|ently)?\s+(?:from|than)\s+(?P<y2>.+?){_NARROWING}"
    rf"|\b(?:vs\.?|versus)\s+(?P<y3>.+?){_NARROWING}"
    rf"|\bdifferences?\s+between\s+(?P<x>.+?)\s+and\s+(?P<y4>.+?){_NARROWING}",
    re.I,
)


def compared_sides(question: str) -> list[str]:
    """What a comparison question holds its subject against (both sides of "the difference
    between X and Y"), or [] for any other question."""
    match = _COMPARED.search(question)
    if not match:
        return []
    return [side.strip(" \"'“”‘’") for side in match.group("x", "y1", "y2", "y3", "y4") if side]


@dataclass(frozen=True)
class Asked:
    """What a question asks for, as ranking and confidence read it: worked out once a question,
    for both."""

    kind: str | None  # the kind of fact (expected_type)
    term: str | None  # the term a "what is X?" question asks to have defined
    abbreviation: str | None  # the abbreviation whose expansion is asked for
    aside: str | None  # what an exclusion question sets aside
    document_date: bool  # when the document itself was written
    why_or_how: bool

    @classmethod
    def of(cls, question: str) -> "Asked":
        """What `question` asks for, each rule read once."""
        return cls(
            kind=expected_type(question),
            term=definition_term(question),
            abbreviation=expansion_term(question),
            aside=excluded_term(question),
            document_date=asks_document_date(question),
            why_or_how=is_why_or_how(question),
        )
