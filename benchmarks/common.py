"""Helpers the benchmark scripts share: what code was measured, progress to stderr, a free port,
reading JSON lines, writing a benchmark corpus, printing evaluation reports, the passages and
candidate answers tilqa weighs for a question."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def code_state() -> str:
    """The commit measured, and the library files that differ from it."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, timeout=30).stdout.rstrip()
        except (OSError, subprocess.SubprocessError):
            return ""
    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines()]
    return f"tilqa at commit {commit}" + (f", uncommitted changes in {', '.join(changed)}" if changed else ", no uncommitted library changes")


def log(message: str) -> None:
    """Progress for the person running the benchmark (stderr; figures go to stdout)."""
    print(message, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_jsonl(path: Path) -> list[dict]:
    """One JSON object a line (blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def sync_corpus(corpus_dir: Path, texts: dict[str, str]) -> int:
    """Make `corpus_dir` hold exactly `texts` ({file name: text}) as `.txt` files, leaving files
    that already hold the same text alone (so a cached index stays fresh); returns how many
    files were written."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, text in texts.items():
        path = corpus_dir / name
        if not path.is_file() or path.read_text("utf-8") != text:
            path.write_text(text, "utf-8")
            written += 1
    for stray in corpus_dir.glob("*.txt"):
        if stray.name not in texts:
            stray.unlink()
    return written


def print_reports(reports: dict, width: int) -> None:
    """`tilqa eval`'s headline measures of several reports ({label: evaluation.Report}), a row each
    (declined is n/a for a set without unanswerable questions)."""
    print(f"{'':<{width}}{'accuracy':>10}{'evidence':>10}{'declined':>10}{'wrongly declined':>18}")
    for label, r in reports.items():
        declined = f"{r.declined_unanswerable:.2f}" if r.unanswerable else "n/a"
        print(f"{label:<{width}}{r.accuracy:>10.3f}{r.evidence_recall:>10.3f}{declined:>10}{r.wrongly_declined:>18.3f}")


def answer_passages(assistant, question: str):
    """What `Assistant.ask` extracts the answer from, as `Assistant.explain` reports it: the
    question as cleaned, its vector, the top `answer_passages` passages (`hits`), their candidate
    sentences scored, the answer extracted (`extraction`, None when nothing was retrieved) and
    the index."""
    return assistant.explain(question)


def candidate_answers(assistant, question: str):
    """The question's vector, the candidate sentences tilqa weighs for it (best first), the answer
    text each would give (with the neighbour tilqa pairs it with), and the part of each score that
    reweighting its four features leaves fixed: the typicality term, and minus the penalty for
    lacking the kind of fact asked for."""
    import numpy as np

    explanation = answer_passages(assistant, question)
    candidates = list(explanation.candidates)
    offsets = np.array([c.score - c.relevance - c.penalty for c in candidates])
    return explanation.vector, candidates, list(explanation.answers), offsets
