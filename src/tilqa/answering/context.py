"""What an answer is read with when its qualifiers are checked (qualifiers.py): the heading path of
its passage, and its document's terms (text and file name), kept for the few recently asked."""

from __future__ import annotations

import threading
from collections import OrderedDict

from ..index import IndexData
from ..lexical import terms
from .asked import Asked, is_yes_no
from .qualifiers import initials, question_qualifiers, undotted

# A qualifier the library never holds but spells like one of its words is taken for a typo of it
# ("aquire", "editng") and asks nothing more.
TYPO_ALIKE = 0.8
DOCUMENT_CACHE = 256  # documents whose terms are kept
HEADING_CACHE = 4096  # passages whose heading terms are kept


class QualifierContext:
    """The qualifiers of a question that the library can judge, and the terms each passage's
    answer is read with, for one loaded index."""

    def __init__(self, data: IndexData) -> None:
        self.data = data
        self._headings: OrderedDict[int, set[str]] = OrderedDict()
        self._documents: OrderedDict[str, set[str]] = OrderedDict()
        self._lock = threading.Lock()

    def qualifiers(self, question: str, asked: Asked) -> list[tuple[str, ...]]:
        """The question's qualifiers an answer's context must hold: none for a question asking
        when the document was written (its dateline answers), none that the question sets aside
        ("apart from X"), and none the library never holds but spells like one of its words."""
        if asked.document_date:
            return []
        lexical = self.data.sentence_lexical
        aside = set(terms([asked.aside])[0]) if asked.aside else set()
        return [
            q for q in question_qualifiers(question, yes_no=is_yes_no(question))
            if not set(q) <= aside and (lexical.knows(q[0]) or not lexical.knows(q[0], TYPO_ALIKE))
        ]

    def terms(self, passage: int) -> tuple[set[str], set[str]]:
        """The terms of `passage`'s heading path, and of its document (text and file name)."""
        record = self.data.passages[passage]
        heading = self._cached(self._headings, passage, lambda: _terms_of(record.section), HEADING_CACHE)
        document = self._cached(self._documents, record.source, lambda: _terms_of(
            _file_words(record.source) + "\n" + self.data.documents[record.source].text
        ), DOCUMENT_CACHE)
        return heading, document

    def _cached(self, cache: OrderedDict, key, make, limit: int) -> set[str]:
        with self._lock:
            found = cache.get(key)
        if found is None:
            found = make()
            with self._lock:
                cache[key] = found
                while len(cache) > limit:
                    cache.popitem(last=False)
        return found


def _file_words(source: str) -> str:
    return source.rsplit("/", 1)[-1].rsplit(".", 1)[0].replace("_", " ").replace("-", " ")


def _terms_of(text: str) -> set[str]:
    text = undotted(text)
    return set(terms([text])[0]) | initials(text)
