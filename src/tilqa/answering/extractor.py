"""Answer extraction: pick the sentence of the retrieved passages that best answers the question,
and say how confident that is."""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from ..documents import is_date_line
from ..index import IndexData
from ..lexical import terms
from ..sentence_features import ANAPHOR
from ..retrieval import Hit
from ..token_scoring import QuestionTokens, TokenScorer
from .asked import Asked, compared_sides, document_described, is_yes_no, question_names
from .holds import defines, expands, has_type, sets_aside
from .alternatives import disagreeing
from .context import QualifierContext
from .qualifiers import missing_qualifiers

# Sentence score = weighted sum of the sentence's own dense similarity to the question, its BM25
# score (sentence with its heading path, max-normalised over the candidates), its passage's fused
# retrieval score and, when scoring by tokens (the default), its token-level similarity
# (token_scoring.py). Chosen by grid search on eval/dev.jsonl and checked on SQuAD 2.0
# (benchmarks/squad.py --sweep; see docs/method.md). Without tokens, dense
# similarity matters most and lexical match breaks ties between paraphrases; with them, token
# similarity weighs most (its values spread over a narrower range than the others).
#
# A sentence's typicality (its mean similarity to the other sentences of its document) is
# subtracted: a sentence that sums up what the whole document is about ("Despite its advances,
# Iovance faces several challenges on the regulatory and market fronts") is near every question
# on its topic, and can outscore the specific one that answers it. This is hubness reduction, as
# CSLS does for nearest neighbours in embedding spaces (Conneau et al., 2018). With token scoring
# only: without it the penalty gained nothing. See docs/method.md.
SENTENCE_WEIGHTS = {"dense": 1.0, "lexical": 0.5, "passage": 0.25, "tokens": 0.0, "typicality": 0.0}
TOKEN_SENTENCE_WEIGHTS = {"dense": 0.5, "lexical": 0.25, "passage": 0.25, "tokens": 4.0, "typicality": -1.0}
# A why or how question is answered by the sentence giving the reason or the means, which seldom
# repeats the question's words; the sentence restating its topic does ("Why is making TILs so
# tricky?" matches "TILs are naturally primed…" by its words, not "The manufacturing process for TILs
# is inherently complex…"). With token scoring, such questions weigh the lexical match less: 0.05
# and 0.1 gain the same four read questions (docs/experiments.md), and on SQuAD 2.0's 533 dev
# why/how questions 0.1 answers 193 rather than 190 right, losing none.
WHY_HOW_LEXICAL_WEIGHT = 0.1

# Confidence = logistic(bias + similarity * best similarity + coverage * lexical coverage), fitted
# by logistic regression on eval/dev.jsonl and eval/blind-a.jsonl pooled (`python
# benchmarks/calibrate.py eval/dev.jsonl eval/blind-a.jsonl` prints the fit), per scoring:
# the best token-level similarity among the candidates when scoring by tokens (of their own tokens,
# not their headings'), else the best sentence-vector similarity.
CONFIDENCE_WEIGHTS = {
    "tokens": {"bias": -2.63, "similarity": 3.89, "coverage": 1.60},
    "hybrid": {"bias": -3.21, "similarity": 4.28, "coverage": 2.86},
}
# A best sentence that lacks the kind of fact the question asks for (asked.py, holds.py).
MISSING_TYPE_PENALTY = 0.25
# Subtracted from the score of a candidate sentence that lacks that kind of fact, so that one
# holding it is preferred when the two score alike.
UNTYPED_RANK_PENALTY = 0.25
# The same for a sentence that does not define the term a "what is X?" question asks about. Larger:
# the term is the whole question, so every sentence naming it scores alike and the one naming it
# most often or most typically wins (see docs/method.md, item 3).
UNDEFINED_RANK_PENALTY = 0.5
# An exclusion question ("other than X, which …?") asks about the others: a sentence naming X and
# nowhere as one of several (holds.sets_aside) answers about X, so it takes this penalty, and
# an answer that does so counts as lacking the kind of fact asked for (its confidence is cut).
# The definitions' 0.5: on eval/exclusion-a.jsonl (read) 0.25, 0.5 and 1 answer alike, but at 0.25
# its "aside from shortening the timeline" question is won by 0.0004; the other read sets are
# level at all three (docs/experiments.md, "Kinds of question").
EXCLUDED_RANK_PENALTY = 0.5
# A question asking what an abbreviation stands for is answered by its expansion only: a sentence
# that does not spell it out takes this penalty (more than a definition's, since a sentence using
# the abbreviation often is about the very thing asked, and scores high), and such an answer counts
# as lacking its kind of fact.
UNEXPANDED_RANK_PENALTY = 1.0
# A yes/no question naming something the corpus seldom names ("… a facility in Philadelphia?",
# "… approved by the EMA in Europe?") is settled only by an answer naming one of those things at
# least; else it counts as lacking the kind of fact asked for. A name is distinctive when at most
# this share of the corpus's sentences hold it ("Iovance" and "TIL" are in most of them, "PD-1" in
# 7 %). Chosen before measuring; 0.05 and 0.2 give the same answers on every read set.
DISTINCTIVE_NAME_SHARE = 0.1
DISTINCTIVE_IDF = math.log(1 + (1 - DISTINCTIVE_NAME_SHARE) / DISTINCTIVE_NAME_SHARE)  # BM25's IDF at that share
# A term of a comparison's other side counts as one the corpus names when a term of the corpus is
# spelled like it to this similarity (difflib's ratio): a typo ("cysippids" for "cydippids", 0.875)
# is not something the corpus never names. Terms of five letters or more only: a short one is near
# too many ("car", CAR-T's stem, is 0.857 from "care").
SPELLED_ALIKE = 0.85

# Citations after the answer's passage: each passage by its best sentence's score plus this much
# more of its retrieval score, so a passage holding a strong second candidate is cited even when
# retrieval ranked it lower (chosen on eval/dev.jsonl and checked on SQuAD; see docs/method.md).
CITATION_PASSAGE_WEIGHT = 0.25

MIN_ANSWER_WORDS = 6  # a best sentence shorter than this is a fragment: the next one completes it
# A best sentence shorter than this (about half this corpus's median sentence) names a topic more
# often than it answers ("The commercialization of TIL therapy is accompanied by significant
# economic pressures."): the next sentence of its paragraph, which gives the specifics, comes with
# it while the pair stays within MAX_PAIR_CHARS.
SHORT_ANSWER_CHARS = 100

# A best sentence opening with an anaphor (sentence_features.ANAPHOR) comes with the sentence
# before it, which says what "this study" is; a best sentence whose thought the next one continues
# comes with that one. Both only while the pair stays short enough to read as one answer, and
# resolving an anaphor gets more room than adding an elaboration.
# Two sentences of median length (this corpus: 179 characters) fit; 350 kept most such pairs apart.
MAX_PAIR_CHARS = 400
MAX_RESOLVED_PAIR_CHARS = 450  # an anaphoric best sentence with the one before it
# A candidate whose passage, heading path, document title, dateline and file name lack some of
# the question's qualifiers (qualifiers.py) loses this times the share it lacks, so that among
# documents answering the same kind of question the one about the trial, cohort or year asked
# wins; an answer lacking any counts as lacking its kind of fact (its confidence is cut).
# Chosen on the read library sets (docs/experiments.md, "Qualifiers").
QUALIFIER_RANK_PENALTY = 0.25
TERM_CACHE = 4096  # sentences whose terms are kept: a question's candidates, many times over


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage as a candidate answer: the features its score is made
    of, and the score (`Assistant.explain` lists them, best first)."""

    sentence: int  # its row in the index's sentences
    hit: Hit
    dense: float
    lexical: float
    tokens: float  # token-level similarity, antecedent and heading included (0 unless scoring by tokens)
    own_tokens: float  # the same over the sentence's own tokens (what the confidence uses)
    typicality: float  # mean similarity to the other sentences of its document
    # Subtracted from the score when the sentence lacks the kind of fact asked for or does not
    # define the term asked about (0 when it holds it, or when the question asks for neither).
    penalty: float
    relevance: float  # the score without typicality: how citations rank passages
    score: float  # how answers rank


@dataclass(frozen=True)
class Extraction:
    """The chosen answer: sentence rows (one or two) inside the passage of `ranked_hits[0]`, the
    features its confidence comes from, and that confidence."""

    sentences: tuple[int, ...]
    ranked_hits: tuple[Hit, ...]  # the scored passages in the order they are cited, the answer's first
    similarity: float  # highest similarity among the candidates (token-level when scoring by tokens)
    coverage: float  # IDF-weighted share of the question's terms in the best sentence + heading
    typed: bool  # the answer holds the kind of fact the question asks for, if any
    confidence: float
    # Answers from other documents giving another value of what was asked (their sentence rows
    # and passage), best first: where documents disagree, the answer shows them too.
    alternatives: tuple[tuple[tuple[int, ...], Hit], ...] = ()


class AnswerExtractor:
    """Scores the sentences of retrieved passages of one loaded index."""

    def __init__(self, data: IndexData, scoring: str = "tokens") -> None:
        """`scoring` is `Settings.sentence_scoring`: "tokens" (needs an index with token
        vectors), "hybrid", or "dense" (the baseline: the most similar sentence, no rules)."""
        self.data = data
        # "dense" is the baseline: the sentence most similar to the question, alone.
        self.baseline = scoring == "dense"
        self.weights = {
            "dense": {"dense": 1.0, "lexical": 0.0, "passage": 0.0, "tokens": 0.0, "typicality": 0.0},
            "hybrid": SENTENCE_WEIGHTS,
            "tokens": TOKEN_SENTENCE_WEIGHTS,
        }[scoring]
        self.why_how_weights = self.weights
        if scoring == "tokens":
            self.why_how_weights = dict(self.weights, lexical=WHY_HOW_LEXICAL_WEIGHT)
        self.confidence_weights = CONFIDENCE_WEIGHTS["tokens" if scoring == "tokens" else "hybrid"]
        self.token_scorer: TokenScorer | None = None
        if scoring == "tokens":
            if data.tokens is None:
                raise ValueError("sentence scoring by tokens needs an index built with token vectors")
            self.token_scorer = TokenScorer(data.tokens, data.antecedents)
        # BM25 over each sentence with its heading path (of the first passage holding it).
        self.lexical = data.sentence_lexical
        self.typicality = data.typicality
        self._term_sets: OrderedDict[int, set[str]] = OrderedDict()
        self.context = QualifierContext(data)
        self._term_lock = threading.Lock()

    def _terms(self, row: int) -> set[str]:
        """The BM25 terms of sentence `row` with its heading path (the few recently asked kept)."""
        with self._term_lock:
            found = self._term_sets.get(row)
        if found is None:
            found = set(terms([f"{self.data.sentences.section(row)}\n{self.data.sentences[row].text}"])[0])
            with self._term_lock:
                self._term_sets[row] = found
                while len(self._term_sets) > TERM_CACHE:
                    self._term_sets.popitem(last=False)
        return found

    def candidates(
        self, question: str, vector: np.ndarray, hits: list[Hit], tokens: QuestionTokens | None = None
    ) -> list[Candidate]:
        """Every sentence of the hits' passages, scored, best first. Scoring by tokens needs the
        question's `tokens`."""
        return self._candidates(question, Asked.of(question), vector, hits, tokens)

    def _candidates(
        self, question: str, asked: Asked, vector: np.ndarray, hits: list[Hit], tokens: QuestionTokens | None
    ) -> list[Candidate]:
        rows: dict[int, Hit] = {}
        for hit in hits:  # a sentence in two overlapping passages counts with the better one
            for row in self.data.passages[hit.passage].sentences:
                if row not in rows or hit.score > rows[row].score:
                    rows[row] = hit
        # A dateline answers when the document was written, and nothing else: it is found by its
        # heading alone ("What is Iovance?" matches the title above "20 March 2025"). For a question
        # asking that, the datelines of the hits' documents are candidates, and the only typed ones.
        datelines = self._datelines(hits) if not self.baseline and asked.document_date else {}
        rows = {row: hit for row, hit in rows.items() if not is_date_line(self.data.sentences[row].text)}
        rows.update(datelines)
        if not rows:
            return []
        ids = np.fromiter(rows, dtype=np.int64)
        dense = self.data.sentence_vectors[ids] @ vector
        bm25 = self.lexical.scores(question)[ids]
        lexical = bm25 / bm25.max() if bm25.max() > 0 else bm25
        if self.token_scorer is None:
            matched = own = np.zeros(len(ids))
        elif tokens is None:
            raise ValueError("scoring by tokens needs the question's tokens")
        else:
            matched, own = self.token_scorer.scores(tokens, ids.tolist())
        w = self.why_how_weights if asked.why_or_how else self.weights
        # The baseline ranks by similarity alone.
        kind, term, abbreviation, aside = (None,) * 4 if self.baseline else (
            asked.kind, asked.term, asked.abbreviation, asked.aside
        )
        untyped_penalty = UNTYPED_RANK_PENALTY if term is None else UNDEFINED_RANK_PENALTY
        if abbreviation:
            untyped_penalty = UNEXPANDED_RANK_PENALTY
        aside_terms = set(terms([aside])[0]) if aside else set()  # sentences lacking them need no closer look
        qualifiers = [] if self.baseline else self.context.qualifiers(question, asked)
        lacking: dict[int, float] = {}  # passage: the share of the qualifiers its context lacks
        out = []
        for row, d, x, t, o in zip(ids.tolist(), dense.tolist(), lexical.tolist(), matched.tolist(), own.tolist()):
            text = self.data.sentences[row].text
            typed = (
                (not datelines or row in datelines)
                and has_type(text, kind, question)
                and (term is None or defines(text, term))
                and (abbreviation is None or expands(text, abbreviation))
            )
            g = float(self.typicality[row])
            penalty = 0.0 if typed else untyped_penalty
            if aside_terms and aside_terms <= self._terms(row) and sets_aside(text, aside or ""):
                penalty += EXCLUDED_RANK_PENALTY
            if qualifiers:
                passage = rows[row].passage
                if passage not in lacking:
                    missing = missing_qualifiers(qualifiers, *self.context.terms(passage))
                    lacking[passage] = len(missing) / len(qualifiers)
                penalty += QUALIFIER_RANK_PENALTY * lacking[passage]
            relevance = w["dense"] * d + w["lexical"] * x + w["passage"] * rows[row].score + w["tokens"] * t - penalty
            out.append(
                Candidate(
                    sentence=row,
                    hit=rows[row],
                    dense=d,
                    lexical=x,
                    tokens=t,
                    own_tokens=o,
                    typicality=g,
                    penalty=penalty,
                    relevance=relevance,
                    score=relevance + w["typicality"] * g,
                )
            )
        return sorted(out, key=lambda c: -c.score)

    def extract(
        self, question: str, vector: np.ndarray, hits: list[Hit], tokens: QuestionTokens | None = None
    ) -> Extraction | None:
        """The answer to `question` from the sentences of `hits`' passages: the best candidate
        with the neighbour that completes it, the passages in the order to cite them, and how
        confident the answer is (`Assistant.ask` declines below `min_confidence`). None when
        `hits` hold no sentence. Scoring by tokens needs the question's `tokens`."""
        asked = Asked.of(question)
        ranked = self._candidates(question, asked, vector, hits, tokens)
        if not ranked:
            return None
        top = ranked[0]
        rows = (top.sentence,) if self.baseline else self.answer_rows(top.sentence, top.hit)
        answer_text = " ".join(self.data.sentences[r].text for r in rows)
        # Coverage counts the words that say what is asked about, not those asking for a kind of
        # answer: an expansion covers "what does the abbreviation TIL stand for?" when it spells
        # out "TIL", and a dateline answering when its document was written covers the words
        # saying which document when its title (the dateline's heading) holds them.
        described = question
        if asked.abbreviation and expands(answer_text, asked.abbreviation):
            described = asked.abbreviation
        elif asked.document_date and is_date_line(self.data.sentences[top.sentence].text):
            described = document_described(question)
        coverage = self.lexical.coverage(terms([described])[0], self._terms(top.sentence))
        # By tokens, the sentences' own: matching headings too separates unanswerable questions less well.
        similarity = max(c.own_tokens if self.token_scorer else c.dense for c in ranked)
        typed = (
            has_type(answer_text, asked.kind, question)
            and (asked.abbreviation is None or expands(answer_text, asked.abbreviation))
            and (asked.aside is None or not sets_aside(answer_text, asked.aside))
            and self._names_one_of(self._distinctive_names(question), rows)
            and not self._compares_with_the_unknown(question)
            and (self.baseline or not missing_qualifiers(
                self.context.qualifiers(question, asked), *self.context.terms(top.hit.passage)
            ))
        )
        # The baseline cites its answer's passage, then the rest in retrieval order.
        ranked_hits = (top.hit,) if self.baseline else _citation_order(ranked)
        p = confidence(similarity, coverage, typed, self.confidence_weights)
        alternatives = (
            disagreeing(question, asked, ranked, rows, self.data.sentences, self.answer_rows)
            if typed and not self.baseline else ()
        )
        return Extraction(
            sentences=rows, ranked_hits=ranked_hits, similarity=similarity, coverage=coverage, typed=typed,
            confidence=p, alternatives=alternatives,
        )

    def _datelines(self, hits: list[Hit]) -> dict[int, Hit]:
        """The datelines of the hits' documents (the passages of a single date line that open a
        document, before its prose), each with a hit on its own passage."""
        table = self.data.passages
        source = table.rows["source"]
        out: dict[int, Hit] = {}
        seen: set[int] = set()
        for hit in hits:
            document = int(source[hit.passage])
            if document in seen:
                continue
            seen.add(document)
            p = hit.passage  # a document's passages are consecutive rows: back to its first
            while p > 0 and source[p - 1] == document:
                p -= 1
            while p < len(table) and source[p] == document:
                sentences = table[p].sentences
                if len(sentences) != 1 or not is_date_line(self.data.sentences[sentences[0]].text):
                    break
                out[sentences[0]] = Hit(passage=p, score=0.0, dense=0.0, bm25=0.0)
                p += 1
        return out

    def _distinctive_names(self, question: str) -> list[set[str]]:
        """The distinctive names a yes/no question holds, each as its set of terms (none for other
        questions): those that at most DISTINCTIVE_NAME_SHARE of the corpus's sentences hold."""
        found = question_names(question) if is_yes_no(question) else []
        out = []
        for name in terms(found) if found else []:
            if name and any(self._distinctive(t) for t in name):
                out.append(set(name))
        return out

    def _distinctive(self, term: str) -> bool:
        """Whether at most DISTINCTIVE_NAME_SHARE of the corpus's sentences hold `term`."""
        return self.lexical.idf(term) >= DISTINCTIVE_IDF

    def _compares_with_the_unknown(self, question: str) -> bool:
        """Whether a comparison question ("how is TIL therapy different from CAR-T?") holds its
        subject against something the corpus never names: no sentence holds any of its distinctive
        terms or one spelled like it (a typo), so no answer can compare the two. The answer itself
        need not name it: "a single administration" answers "how does TIL differ from drugs given
        repeatedly?"."""
        for side in compared_sides(question):
            distinctive = [t for t in terms([side])[0] if self._distinctive(t)]
            if distinctive and not any(self.lexical.knows(t, SPELLED_ALIKE) for t in distinctive):
                return True
        return False

    def _names_one_of(self, focus: list[set[str]], rows: tuple[int, ...]) -> bool:
        """Whether sentences `rows` (with their headings) hold one of the question's distinctive
        names at least (True when it names none)."""
        held = set().union(*(self._terms(r) for r in rows))
        return not focus or any(name <= held for name in focus)

    def answer_rows(self, row: int, hit: Hit) -> tuple[int, ...]:
        """The sentence rows an answer from sentence `row` (of `hit`'s passage) is made of: that
        sentence, with a neighbour of the same passage when it is a fragment, when it is short
        enough to name only a topic, or when an anaphor joins the two into one thought."""
        rows = self.data.passages[hit.passage].sentences
        position = rows.index(row)
        before = rows[position - 1] if position > 0 else None
        after = rows[position + 1] if position + 1 < len(rows) else None
        text = self.data.sentences[row].text.strip()
        if after is not None and (len(text.split()) < MIN_ANSWER_WORDS or text.endswith(":")):
            return (row, after)
        if before is not None and ANAPHOR.match(text) and self._span(before, row) <= MAX_RESOLVED_PAIR_CHARS:
            return (before, row)
        if after is not None and self._span(row, after) <= MAX_PAIR_CHARS:
            if len(text) < SHORT_ANSWER_CHARS or ANAPHOR.match(self.data.sentences[after].text):
                return (row, after)
        return (row,)

    def _span(self, first: int, second: int) -> int:
        """Characters from the start of sentence `first` to the end of sentence `second`."""
        s = self.data.sentences
        return s[second].end - s[first].start


def _citation_order(ranked: list[Candidate]) -> tuple[Hit, ...]:
    """The passages of the ranked candidates: the answer's first, then by their best sentence's
    relevance + CITATION_PASSAGE_WEIGHT * their retrieval score (typicality tells which sentence
    answers, not which passage is on the question's topic)."""
    answer = ranked[0].hit
    best: dict[int, tuple[float, Hit]] = {}
    for c in ranked:
        key = c.relevance + CITATION_PASSAGE_WEIGHT * c.hit.score
        if c.hit.passage != answer.passage and (c.hit.passage not in best or key > best[c.hit.passage][0]):
            best[c.hit.passage] = (key, c.hit)
    return (answer, *(hit for _, hit in sorted(best.values(), key=lambda b: -b[0])))


def confidence(similarity: float, coverage: float, typed: bool, weights: dict[str, float]) -> float:
    """How likely the corpus answers the question, in [0, 1], from the best sentence's scores."""
    z = weights["bias"] + weights["similarity"] * similarity + weights["coverage"] * coverage
    p = 1.0 / (1.0 + math.exp(-z))
    return p if typed else p * MISSING_TYPE_PENALTY
