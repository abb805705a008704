"""Answering: from retrieved passages to a cited answer, in the order the work is done.

- `asked.py`: what a question asks for (a kind of fact, a term to define, an abbreviation to
  spell out, what an exclusion question sets aside, the sides of a comparison), as `Asked`.
- `holds.py`: whether a sentence holds what is asked (`has_type`, `defines`, `expands`,
  `sets_aside`).
- `extractor.py`: `AnswerExtractor` scores the candidate sentences with both, and chooses the
  answer and its confidence (`Extraction`).
- `qualifiers.py`: the words of a question that say which document's fact it asks for, and
  whether an answer's context holds them; `context.py` that context for a loaded index.
- `alternatives.py`: other documents' answers giving another value of what was asked.
- `citations.py`: the chosen answer as `Citation`s, in the order they are cited, and the other
  documents' answers that disagree with it.
"""

from __future__ import annotations

from .citations import alternative_citations, answer_text, cite
from .extractor import AnswerExtractor, Candidate, Extraction

__all__ = ["AnswerExtractor", "Candidate", "Extraction", "alternative_citations", "answer_text", "cite"]
