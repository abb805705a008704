"""Follow-up questions: a question that leans on the conversation before it ("when did it start?",
"why?", "and in cervical cancer?") made self-contained from the previous question and answer, so
it can be searched alone. Offline and extractive: nothing is generated, words are only moved.

Three moves, tried in order, each only when the question leans on the previous turn:

- a pronoun or a demonstrative ("it", "its", "they", "that drug") is replaced by the subject of
  the previous turn: the entity its answer names when it asked "which …?" or "who …?", else the
  subject of its question;
- an elliptical question ("and in cervical cancer?", "what about TILVANCE-301?") takes the
  previous question's frame with the new part put in place of the matching phrase;
- a bare question ("why?", "how long?") takes the previous question's predicate
  ("When did Iovance change its name?" + "why?" → "Why did Iovance change its name?").

A question that does not lean on anything (no such pronoun, not elliptical, more than a few
words or naming its own subject) is taken as typed: a change of topic drags nothing along.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .errors import QuestionError
from .results import Answer

WH_WORDS = frozenset({"what", "which", "who", "whom", "whose", "when", "where", "why", "how"})
AUXILIARIES = frozenset({
    "is", "are", "was", "were", "be", "been", "do", "does", "did", "has", "have", "had", "can",
    "could", "will", "would", "should", "may", "might", "must", "shall",
})
# Words that say "and the same about …" at the start of a follow-up.
CONTINUATIONS = ("and what about", "what about", "how about", "and also", "and", "also", "but", "so", "then", "or")
PREPOSITIONS = frozenset({
    "in", "for", "of", "on", "at", "with", "by", "from", "to", "into", "during", "after", "before",
    "against", "about", "among", "between", "under", "over", "within", "without", "versus", "vs",
})
# Pronouns that stand for something said before; "this"/"that"/"these"/"those" only when they
# stand alone or before a noun ("that drug"), not as a relative "that".
PRONOUNS = frozenset({"it", "they", "them", "he", "she", "him"})
POSSESSIVES = frozenset({"its", "their", "his", "her"})
DEMONSTRATIVES = frozenset({"this", "that", "these", "those"})
# Words a short question can hold without naming a subject of its own ("how long does it take?").
GENERIC = frozenset({
    "long", "much", "many", "often", "far", "soon", "exactly", "else", "more", "about", "start",
    "started", "begin", "began", "end", "ended", "happen", "happened", "mean", "means", "cost",
    "costs", "work", "works", "use", "used", "make", "makes", "made", "take", "takes", "the", "a",
    "an", "there", "then", "so", "not", "why", "really", "also", "too", "again", "now", "still",
    "yet", "one", "ones", "other", "others", "approved", "done", "called", "known", "is", "for",
})
STOP = WH_WORDS | AUXILIARIES | PREPOSITIONS | GENERIC | frozenset({
    "and", "or", "but", "its", "it", "they", "them", "their", "this", "that", "these", "those",
    "he", "she", "his", "her", "him", "i", "you", "we", "our", "your", "any", "some", "all", "each",
    "not", "no", "s", "what's", "who's", "where's", "how's", "it's", "that's", "there's", "being",
    "done", "going", "would", "specifically", "ones", "need",
})
# Nouns a name is the modifier of ("TIL therapy"): kept with the name as the subject.
HEAD_NOUNS = frozenset({
    "therapy", "therapies", "manufacturing", "production", "trial", "trials", "study", "studies",
    "product", "products", "cells", "treatment", "program", "platform", "process", "technology",
    "inhibitors", "inactivation", "knockout", "rights",
})
SHORT_WORDS = 4  # a question of this many words or fewer that names nothing of its own leans on the last turn

_WORD = re.compile(r"[\w®™][\w®™'’\-./]*", re.UNICODE)
_TRAILING = re.compile(r"[\s?.!]+$")


@dataclass(frozen=True)
class Turn:
    """An earlier turn as the follow-up reads it: the question as it was searched (its own
    understood form), the answer given ("" when declined) and whether one was found."""

    question: str
    answer: str = ""
    found: bool = False

    @classmethod
    def of(cls, item: Any) -> "Turn":
        """An earlier turn from an `Answer`, its `to_dict()` (as a program sends it) or a bare question.

        :raises QuestionError: for anything else.
        """
        if isinstance(item, Answer):
            return cls(question=item.understood_as or item.question, answer=item.answer, found=item.found)
        if isinstance(item, str):
            return cls(question=item)
        if isinstance(item, Mapping) and isinstance(item.get("question"), str):
            question = item.get("understood_as") or item["question"]
            answer = item.get("answer") or ""
            if not isinstance(question, str) or not isinstance(answer, str):
                raise QuestionError("each history turn's question, understood_as and answer must be text")
            return cls(question=question, answer=answer, found=bool(item.get("found", bool(answer))))
        raise QuestionError(
            "history must be a list of earlier turns, each an answer ({\"question\", \"answer\", ...}) "
            f"or a question (text), not {type(item).__name__}"
        )

    @classmethod
    def history(cls, items: Any) -> list["Turn"]:
        """The turns of a conversation's history (oldest first), checked.

        :raises QuestionError: when `items` is not a list of turns.
        """
        if items is None:
            return []
        if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
            raise QuestionError("history must be a list of earlier turns, oldest first")
        return [cls.of(item) for item in items]


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _named(word: str, first: bool) -> bool:
    """A word that names something: a capital not at the start, an acronym, a code with digits."""
    core = word.strip("®™'’.-/")
    if not core:
        return False
    if any(ch.isdigit() for ch in core) and any(ch.isalpha() for ch in core):
        return True
    if len(core) > 1 and core.isupper():
        return True
    return core[0].isupper() and not first and core.lower() not in STOP


def _named_phrases(text: str) -> list[str]:
    """Runs of naming words ("Proleukin®", "TILVANCE-301", "Clinigen Limited", "TIL therapy"), in order."""
    phrases: list[str] = []
    run: list[str] = []
    for i, word in enumerate(_words(text)):
        if _named(word, first=i == 0):
            run.append(re.sub(r"['’]s$", "", word).rstrip(".,'’"))
        else:
            if run:
                if word.lower() in HEAD_NOUNS:
                    run.append(word)  # "TIL therapy", "TILVANCE-301 trial"
                phrases.append(" ".join(run))
            run = []
    if run:
        phrases.append(" ".join(run))
    return phrases


def content_words(text: str) -> list[str]:
    """The question's words that carry its topic (not wh-words, auxiliaries, pronouns, prepositions)."""
    return [w for w in _words(text) if w.lower().strip("'’") not in STOP and not w.isdigit()]


def _anaphor(words: list[str]) -> int | None:
    """Where the question's first pronoun or demonstrative that points back stands, if any."""
    for i, word in enumerate(words):
        lower = word.lower()
        if lower in PRONOUNS or lower in POSSESSIVES:
            if lower == "her" and i + 1 < len(words) and words[i + 1].lower() not in STOP:
                return i  # "her trial": a possessive
            return i
        if lower in DEMONSTRATIVES:
            before = words[i - 1].lower() if i else ""
            after = words[i + 1].lower() if i + 1 < len(words) else ""
            # "is that approved?", "what is that drug", "about this": not "the therapy that works".
            if i == 0 or before in WH_WORDS or before in AUXILIARIES or before in PREPOSITIONS or not after:
                return i
    return None


def _has_antecedent(words: list[str], at: int) -> bool:
    """Whether the question names something before its pronoun that the pronoun can stand for."""
    return any(_named(w, first=i == 0) for i, w in enumerate(words[:at])) or len(content_words(" ".join(words[:at]))) >= 3


def _continuation(text: str) -> tuple[str, str] | None:
    """("and", "in cervical cancer") for "And in cervical cancer?"; None when it is no such question."""
    lower = text.lower()
    for marker in CONTINUATIONS:
        if lower.startswith(marker + " ") or lower == marker:
            return marker, _TRAILING.sub("", text[len(marker):]).strip(" ,")
    return None


def _strip_wh(question: str) -> str:
    """The previous question without its wh-phrase: "did Iovance change its name" for "When did
    Iovance change its name?" (kept whole when it does not start with a wh-word)."""
    words = _TRAILING.sub("", question).split()
    i = 0
    if words and words[0].lower().strip(",") in WH_WORDS:
        i = 1
        # "how long", "how many patients", "which company": the wh-phrase up to its auxiliary
        while i < len(words) and i < 4 and words[i].lower() not in AUXILIARIES:
            i += 1
        if i >= len(words) or words[i].lower() not in AUXILIARIES:
            i = 1
    return " ".join(words[i:])


def subject(turn: Turn, pronoun: str = "it") -> str | None:
    """What `pronoun` in the next question stands for: the entity the answer names when the
    question asked for one ("Which IL-2 product …?" → "Proleukin®"; after "Who …?" only a personal
    "they" or "he", not "it"), else the question's subject."""
    words = _words(turn.question)
    personal = pronoun.lower() not in {"it", "its", "this", "that"}
    asks_entity = bool(words) and (words[0].lower() == "which" or words[0].lower() in {"who", "whom"} and personal) or (
        len(words) > 2 and words[0].lower() == "what" and words[1].lower() not in AUXILIARIES
        and words[2].lower() in AUXILIARIES  # "what drug is …", not "what makes …"
    )
    if asks_entity and turn.found and turn.answer:
        asked = {w.lower() for w in words}
        new = [p for p in _named_phrases(turn.answer) if not all(w.lower() in asked for w in p.split())]
        if new:
            return min(new, key=lambda p: _distance(turn.answer, p, content_words(turn.question)))
    named = _named_phrases(turn.question)
    if named:
        return named[-1] if len(named) > 1 and named[0].lower() in _companies(turn) else named[0]
    # Else the noun phrase the question is about: its content words after the wh-phrase and verb.
    rest = _strip_wh(turn.question).split()
    if rest and rest[0].lower() in AUXILIARIES:
        rest = rest[1:]
    elif len(rest) > 1 and words[0].lower() in {"who", "what", "which"} and rest[1].lower() in {"the", "a", "an", "its", "their"}:
        rest = rest[1:]  # "Who licensed the …": the verb, then its object
    phrase: list[str] = []
    for word in rest:
        lower = word.lower()
        if lower in PREPOSITIONS and phrase:
            break
        if lower in {"the", "a", "an"} and not phrase:
            continue
        if phrase and (lower in AUXILIARIES or lower in GENERIC or (lower.endswith("ed") and len(lower) > 4)):
            break  # the verb after the noun phrase ("lifileucel designed for")
        phrase.append(word)
    return " ".join(phrase) or None


def _distance(text: str, phrase: str, near: list[str]) -> int:
    """How far `phrase` stands in `text` from the nearest of the words `near` (the question's
    words the answer repeats): of the entities an answer names, the one the question asked for."""
    lower = text.lower()
    at = lower.find(phrase.lower())
    spots = [m.start() for w in near for m in re.finditer(re.escape(w.lower()), lower)]
    return min((abs(at - s) for s in spots), default=at)


def _companies(turn: Turn) -> set[str]:
    """Named words that are the question's actor rather than its topic ("Iovance" in "When did
    Iovance start TILVANCE-301?"): the first named word when it comes right after the auxiliary."""
    words = _words(turn.question)
    if len(words) > 2 and words[1].lower() in AUXILIARIES:
        return {words[2].lower()}
    return set()


def leans_on_history(question: str) -> bool:
    """Whether `question` depends on the turn before: a pronoun with nothing in the question to
    stand for, an elliptical start ("and …", "what about …"), or a few words naming nothing."""
    words = _words(question)
    if not words:
        return False
    if _continuation(question) is not None:
        return True
    at = _anaphor(words)
    if at is not None and not _has_antecedent(words, at):
        return True
    if words[0].lower() in PREPOSITIONS and len(words) <= SHORT_WORDS + 2:
        return True
    return len(words) <= SHORT_WORDS and len(content_words(question)) <= 1 and not _named_phrases(question)


def _replace_anaphor(question: str, antecedent: str) -> str:
    """`question` with its first pointing-back pronoun (and a demonstrative's noun) replaced."""
    words = _words(question)
    at = _anaphor(words)
    if at is None:
        return question
    tokens = list(re.finditer(_WORD, question))
    match = tokens[at]
    lower = match[0].lower()
    end = match.end()
    noun = ""
    if lower in DEMONSTRATIVES and at + 1 < len(tokens):
        following = tokens[at + 1][0].lower()
        # "that drug", "those studies", "that one"; not "that work" (a verb) or "that faster"
        if following not in STOP or following in {"one", "ones"}:
            end = tokens[at + 1].end()
            noun = tokens[at + 1][0] if following not in {"one", "ones"} else ""
    names = antecedent.split()
    if noun and antecedent.replace("-", "").isupper():
        replacement = f"{antecedent} {noun}"  # an acronym: "those studies" → "TIL studies"
    elif noun and len(names) > 1 and noun.lower() not in antecedent.lower():
        # A described thing, not a name: the noun says which of its parts is meant ("that
        # facility" after "TIL manufacturing" → "the TIL manufacturing facility"; "those studies"
        # after "TIL products" → "the TIL studies").
        same_kind = names[-1].lower() in HEAD_NOUNS and names[-1].endswith("s") and noun.endswith("s")
        kept = names[:-1] if same_kind else names
        replacement = f"the {' '.join(kept)} {noun}"
    else:
        replacement = antecedent + ("'s" if lower in POSSESSIVES else "")
    return question[: match.start()] + replacement + question[end:]


def _resolve_anaphors(text: str, previous: Turn) -> str | None:
    """`text` with each pointing-back pronoun replaced by what it stands for in the previous turn
    ("which gene do they knock out with it?": "they" and "it" may stand for different things);
    None when the first has nothing to stand for."""
    words = _words(text)
    at = _anaphor(words)
    if at is None or _has_antecedent(words, at):
        return None
    resolved = text
    used: set[str] = set()
    for _ in range(3):  # a question holds few pronouns; never loop on a replacement
        words = _words(resolved)
        at = _anaphor(words)
        if at is None:
            break
        antecedent = subject(previous, words[at])
        if not antecedent:
            return resolved if resolved != text else None
        if antecedent in used:
            break  # two pronouns, one thing found: the second stands for something else ("who licensed it to them?")
        used.add(antecedent)
        replaced = _replace_anaphor(resolved, antecedent)
        if replaced == resolved:
            break
        resolved = replaced
    return resolved


def _fill_ellipsis(part: str, previous: str) -> str:
    """The previous question with `part` in place of its matching phrase: "in cervical cancer"
    replaces "in melanoma"; a bare noun phrase replaces the previous subject or last phrase."""
    frame = _TRAILING.sub("", previous)
    part_words = part.split()
    if not part_words:
        return previous
    first = part_words[0].lower()
    lower_frame = frame.lower().split()
    if first in PREPOSITIONS and first in lower_frame:
        at = len(lower_frame) - 1 - lower_frame[::-1].index(first)
        return " ".join(frame.split()[:at] + part_words) + "?"
    if first in PREPOSITIONS or lower_frame[-1] in PREPOSITIONS:
        return f"{frame} {part}?"  # "What is lifileucel designed for" + "head and neck"
    topic = subject(Turn(question=previous))
    if topic and topic in frame and (_named_phrases(part) or not _named_phrases(topic)):
        return frame.replace(topic, part, 1) + "?"
    # No subject to swap: the last prepositional phrase's object, else the whole frame plus it.
    for i in range(len(lower_frame) - 1, 0, -1):
        if lower_frame[i] in PREPOSITIONS:
            return " ".join(frame.split()[: i + 1] + part_words) + "?"
    return f"{frame} {part}?"


def understand(question: str, history: Sequence[Turn]) -> str:
    """The self-contained question to search for `question` asked after `history` (oldest
    first): `question` itself when it does not lean on the turn before, or when there is none."""
    if not history or not leans_on_history(question):
        return question
    previous = history[-1]
    text = question.strip()
    continued = _continuation(text)
    words = _words(text)
    at = _anaphor(words)
    if at is not None and not _has_antecedent(words, at):
        resolved = _resolve_anaphors(text, previous)
        if resolved is not None:
            if continued is not None:
                marker, rest = continued
                resolved = _TRAILING.sub("", resolved[len(marker):].strip(" ,")) + "?"
                resolved = resolved[0].upper() + resolved[1:]
            return resolved
    if continued is not None:
        _, part = continued
        if not part:
            return previous.question
        if _words(part) and _words(part)[0].lower() in WH_WORDS:
            return understand(part + "?", history)  # "and why?" is "why?"
        return _fill_ellipsis(part, previous.question)
    if words[0].lower() in PREPOSITIONS:
        return _fill_ellipsis(_TRAILING.sub("", text), previous.question)
    wh = _TRAILING.sub("", text)
    if content_words(text):
        # A short question naming only a generic thing ("what's the goal?"): about the last subject.
        return f"{wh} ({', '.join(content_words(previous.question))})?"
    # A bare question ("why?", "how long?", "when exactly?"): its wh-phrase on the previous predicate.
    rest = _strip_wh(previous.question)
    if rest == _TRAILING.sub("", previous.question):
        return f"{wh} {rest}?"
    return f"{wh[0].upper()}{wh[1:]} {rest}?"

