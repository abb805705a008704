"""Answering: from retrieved passages to a cited answer.

- `asked.py`: what a question asks for (a kind of fact, a term to define, an abbreviation to
  spell out, what an exclusion question sets aside, the sides of a comparison): `Asked`.
- `extractor.py`: scoring the candidate sentences, choosing the answer and its confidence.
- `citations.py`: the chosen answer as `Citation`s, in the order they are cited.
"""

from __future__ import annotations

from .citations import answer_text, cite
from .extractor import AnswerExtractor, Candidate, Extraction

__all__ = ["AnswerExtractor", "Candidate", "Extraction", "answer_text", "cite"]
