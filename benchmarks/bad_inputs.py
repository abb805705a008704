"""What tilqa answers to each kind of bad input: prints one line per case (library and corpus).

    python benchmarks/bad_inputs.py
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import tilqa

ROOT = Path(__file__).resolve().parents[1]

QUESTIONS = [
    ("empty", "", 3),
    ("whitespace only", " \n\t ", 3),
    ("100,000 characters", "What is TIL? " + "x" * 99_987, 3),
    ("control characters and NUL", "Which IL-2\x00 product\x07 did Iovance acquire?", 3),
    ("non-English (French)", "Quel produit IL-2 Iovance a-t-il acquis ?", 3),
    ("emoji only", "🧬🧫💉❓", 3),
    ("HTML / script", "<script>alert(1)</script>", 3),
    ("markdown", "**bold** [link](http://x) `code`", 3),
    ("top_k = 0", "What is lifileucel?", 0),
    ("top_k = -5", "What is lifileucel?", -5),
    ("top_k = 10**9", "What is lifileucel?", 10**9),
]


def outcome(call) -> str:
    try:
        answer = call()
    except tilqa.TilqaError as exc:
        return f"{type(exc).__name__}: {exc}"
    found = f"found, {answer.answer[:60]!r}…" if answer.found else "not found"
    notes = f"; notes: {answer.notes}" if answer.notes else ""
    return f"{found}; {len(answer.citations)} citations{notes}"


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    work = Path(tempfile.mkdtemp(prefix="tilqa-bad-"))
    assistant = tilqa.Assistant(corpus_dir=ROOT / "corpus", index_dir=work / "index")
    for name, question, top_k in QUESTIONS:
        print(f"{name:<28} {outcome(lambda: assistant.ask(question, top_k))}")
    corpora = {
        "corpus dir does not exist": None,
        "corpus dir is empty": {},
        "only non-UTF-8/binary files": {"a.txt": b"\xff\xfe\x00\x01", "b.md": "caf\xe9".encode("latin-1")},
        "binary file renamed .txt": {"photo.txt": b"\xff\xd8\xff\xe0\x00JFIF", "ok.txt": "Lifileucel is a TIL therapy.".encode()},
    }
    for number, (name, files) in enumerate(corpora.items()):
        folder = work / f"corpus-{number}"
        if files is not None:
            folder.mkdir()
            for file, data in files.items():
                (folder / file).write_bytes(data)
        other = tilqa.Assistant(corpus_dir=folder, index_dir=work / f"index-{folder.name}")
        print(f"{name:<28} {outcome(lambda: other.ask('What is lifileucel?'))}")


if __name__ == "__main__":
    main()
