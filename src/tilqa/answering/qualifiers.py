"""The qualifiers of a question: the words that decide which document's fact it asks for.

"What was the response rate in endometrial cancer?" asks for a response rate, but of endometrial
cancer: a library that gives only a lung-cancer cohort's rate does not answer it. A qualifier is
a word of the question that

- holds a digit (a year, a version, a cohort size, "5-year"),
- is a name: capitalised where a sentence would not capitalise it, or an acronym ("UK", "Bell",
  "MQSA"), or
- is rare in general English (wordfreq's Zipf frequency below RARE_ZIPF: "endometrial",
  "autovacuum", "methotrexate"),

and that is not one of the words asking what kind of fact is wanted. Rarity is judged against
general English (the wordfreq package), not against the library's own counts, so a word the
library never holds is as distinctive as a word it holds once, and the rule carries from one
library to another. An answer is qualified when every qualifier of the question is in its
context: its passage and heading path, and its document (title, dateline, file name and text):
a trap asks of a document what only another one, or none, holds.
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..lexical import held_alike, terms

# Below this Zipf frequency (log10 occurrences per billion words in wordfreq's English), a word
# is rare enough to say which thing is meant: "endometrial" 2.6, "methotrexate" 2.5, "congestive"
# 2.7 are; words a user paraphrases with are not: "rebrand" 2.9, "dosing" 3.0, "uptake" 3.3,
# "shortcomings" 3.5. A word is rare when it and its stem both are, so that a misspelt common word
# ("submiting", stem "submit") is not. Chosen on the report's read sets and the read library sets
# (docs/experiments.md, "Qualifiers").
RARE_ZIPF = 2.75
# A qualifier term matches a context term spelled like it to this similarity (difflib's ratio),
# as the comparison rule does, so a typo ("aquire", "differnce") is not a missing qualifier.
SPELLED_ALIKE = 0.85

# Words a question uses to ask, never to qualify (capitalised at its start, or rare as written).
_ASKING = frozenset(
    """what which who whom whose when where why how is are was were do does did has have had can
    could will would should may might must shall the a an of in on at to for from by with and or
    please tell me explain describe list name give i we you it its this that these those there
    according document report article page study paper id ids number""".split()
)
_WORD = re.compile(r"[A-Za-z0-9][\w'’&.-]*[\w]|[A-Za-z0-9]")
_SENTENCE_START = re.compile(r"(^|[.?!:;]\s+|[\"“(]\s*)$")
_DIGIT_RUN = re.compile(r"\d+")
# A word set aside ("outside the US", "apart from lifileucel", "other than Europe") is not what is
# asked about: its answer names something else.
_ASIDE_BEFORE = re.compile(
    r"\b(outside|beyond|except|excluding|besides|beside|apart from|aside from|other than|not|without)"
    r"(\s+(of|the|a|an|its|their))*\s+$",
    re.I,
)
_ROMAN = re.compile(r"^[IVX]+$")
# "U.S.", "U.K.": dotted acronyms, which word matching would lose, written as one word.
_DOTTED = re.compile(r"\b((?:[A-Z]\.){2,})")


def undotted(text: str) -> str:
    """`text` with dotted acronyms written as words ("U.S." -> "US")."""
    return _DOTTED.sub(lambda m: m.group().replace(".", ""), text)


@lru_cache(maxsize=65536)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency  # imported on first use: it loads its word lists

    return zipf_frequency(word, "en")


def _is_name(word: str, position: int, question: str) -> bool:
    """Capitalised where prose would not be (not at the question's start), or an acronym."""
    if sum(c.isupper() for c in word) >= 2:
        return True
    return word[0].isupper() and not _SENTENCE_START.search(question[:position])


def _is_rare(word: str) -> bool:
    parts = [part for part in re.split(r"[-'’_]", word.lower()) if part]
    return bool(parts) and all(
        _zipf(part) < RARE_ZIPF and _zipf(stem) < RARE_ZIPF for part in parts for stem in terms([part])[0]
    )


def question_qualifiers(question: str, yes_no: bool = False) -> list[tuple[str, ...]]:
    """The question's qualifiers, each as its BM25 terms (stemmed, as `lexical.terms` gives them),
    in question order, without repeats. The figures of a yes/no question are the claim it checks,
    not qualifiers (`yes_no`)."""
    question = undotted(question)
    out: list[tuple[str, ...]] = []
    for match in _WORD.finditer(question):
        word = re.sub(r"['’]s$", "", match.group()).strip(".'’")
        if not word or word.lower() in _ASKING or _ROMAN.match(word) or _ASIDE_BEFORE.search(question[: match.start()]):
            continue
        if any(c.isdigit() for c in word) and any(c.isalpha() for c in word) and "-" not in word:
            found = tuple(terms([word])[0])  # an identifier: "md5", "ext3", "IPv4"
        elif any(c.isdigit() for c in word):
            # A figure, alone or in a label ("1-year", "TILVANCE-301"); not one inside quotes (a
            # value quoted from a setting) or in a yes/no question (the claim it checks).
            quoted = question[: match.start()].count("'") % 2 == 1 or question[: match.start()].count('"') % 2 == 1
            found = () if yes_no or quoted else tuple(_DIGIT_RUN.findall(word))
        elif _is_name(word, match.start(), question) or _is_rare(word):
            found = tuple(terms([word])[0])
        else:
            continue
        if found and found not in out:
            out.append(found)
    return out


_INITIALS_SKIP = frozenset({"and", "of", "the", "for", "&"})


def initials(text: str) -> set[str]:
    """The initials of every run of two to five words of `text` ("United States" -> "us", "squamous
    cell carcinoma" -> "scc", "cost of goods sold" -> "cogs" and "cgs"), for acronyms a question
    uses where the text spells them out."""
    words = re.findall(r"[A-Za-z][\w-]*", text)
    out: set[str] = set()
    for start in range(len(words)):
        for size in range(2, 6):
            run = words[start : start + size]
            if len(run) < size:
                break
            out.add("".join(w[0] for w in run).lower())
            out.add("".join(w[0] for w in run if w.lower() not in _INITIALS_SKIP).lower())
    return out


def missing_qualifiers(qualifiers: list[tuple[str, ...]], *contexts: set[str]) -> list[tuple[str, ...]]:
    """The qualifiers some term of which every one of the `contexts` (sets of terms) lacks, nor
    holds spelled alike."""
    return [q for q in qualifiers if not all(any(held_alike(t, c, SPELLED_ALIKE) for c in contexts) for t in q)]
