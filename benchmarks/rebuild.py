"""Seconds for incremental index rebuilds on a corpus of 100 files.

Makes 100 variants of corpus/iovance-rd-focus.txt in a temporary folder (each with its own first
sentence, its paragraphs in another order and, by default, some words swapped so that almost no
sentence is shared between files), then times with `Assistant.build` (refresh + load):

  cold      full build into an empty index folder
  no-op     rebuild with nothing changed
  edit 1    rebuild after one sentence is added to one of the 100 files
  add 1     rebuild after a new file is added (then asks about the new file's sentence)
  delete 1  rebuild after a file is deleted (then checks its text is gone from index and answers)

`--sentence-scoring hybrid` builds without token vectors, to see what storing them costs.

and prints each BuildReport.summary() and a table of seconds (embedded vs reused texts).

    .venv/bin/python benchmarks/rebuild.py [--files 100] [--vary words|paragraphs] [--keep]
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, code_state, log

DEFAULT_SOURCE = REPO / "corpus" / "iovance-rd-focus.txt"

NEW_FILE_SENTENCE = (
    "According to the benchmark addendum, the Quokka-7 cryopreservation protocol stores every "
    "expanded TIL batch in exactly 42 labelled vials."
)
NEW_FILE_QUESTION = "How many vials does the Quokka-7 cryopreservation protocol use?"
NEW_FILE_EXPECTED = "42 labelled vials"


def prefix_sentence(number: int) -> str:
    """A first paragraph that only file `number` has."""
    return (
        f"Archive copy {number:03d} of this overview was filed by analyst Marlowe-{number:04d} "
        f"in cabinet {number % 17 + 1}."
    )


_WORD = re.compile(r"\b[a-z]{5,}\b")


def variant(text: str, number: int, vary: str, seed: int) -> str:
    """File `number`: its prefix sentence, the title, then the body paragraphs shuffled; with
    vary="words", about a quarter of the lower-case words of 5+ letters are also swapped for
    other words of the document, so that sentences (and so embeddings) differ between files."""
    rng = random.Random(seed * 100_003 + number)
    blocks = text.strip("\n").split("\n\n")
    head, body = blocks[:2], blocks[2:]  # title, then date and first section stay in front
    rng.shuffle(body)
    out = "\n\n".join([*head, *body]) + "\n"
    if vary == "words":
        vocabulary = sorted(set(_WORD.findall(text)))
        out = _WORD.sub(lambda m: rng.choice(vocabulary) if rng.random() < 0.25 else m.group(0), out)
    return prefix_sentence(number) + "\n\n" + out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Figures go to stdout, progress to stderr.",
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE,
                        help=f"document to copy and vary (default: {DEFAULT_SOURCE})")
    parser.add_argument("--files", type=int, default=100, help="how many corpus files to make (default 100)")
    parser.add_argument("--vary", choices=("words", "paragraphs"), default="words",
                        help="words (default): also swap words so files share almost no sentence; "
                             "paragraphs: only a distinct first sentence and shuffled paragraphs, so "
                             "most passages are shared and embedded once")
    parser.add_argument("--seed", type=int, default=0, help="random seed for the variations (default 0)")
    parser.add_argument("--sentence-scoring", default="tokens",
                        help="the setting to build for (default tokens, which stores token vectors; "
                             "hybrid builds without them)")
    parser.add_argument("--workdir", type=Path,
                        help="folder for the corpus and index (default: a temporary folder, deleted afterwards)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and say where it is")
    args = parser.parse_args(argv)
    if args.files < 3:
        parser.error("--files must be at least 3")
    if not args.source.is_file():
        parser.error(f"{args.source} not found")
    if args.workdir is not None and args.workdir.exists() and any(args.workdir.iterdir()):
        parser.error(f"--workdir {args.workdir} is not empty; the cold build needs an empty index folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return run(args, args.workdir)
    tmp = Path(tempfile.mkdtemp(prefix="tilqa-bench-rebuild-"))
    try:
        return run(args, tmp)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, workdir: Path) -> int:
    print(f"{code_state()}; sentence_scoring {args.sentence_scoring}")
    from tilqa import Assistant, Settings
    from tilqa.index import load_index

    corpus, index = workdir / "corpus", workdir / "index"
    corpus.mkdir()
    source_text = args.source.read_text("utf-8")
    names = [f"doc-{i:03d}.txt" for i in range(args.files)]
    for i, name in enumerate(names):
        (corpus / name).write_text(variant(source_text, i, args.vary, args.seed), "utf-8")
    log(f"wrote {args.files} files to {corpus}")

    # Settings() directly: only the defaults, not TILQA_* variables of whoever runs this.
    assistant = Assistant(settings=Settings(corpus_dir=corpus, index_dir=index, sentence_scoring=args.sentence_scoring))
    started = time.perf_counter()
    assistant.embedder.encode(["warm up"], show_progress=False)  # model load outside the timings
    model_seconds = time.perf_counter() - started

    rows = []
    failures = []

    def step(label: str) -> None:
        log(f"{label} …")
        started = time.perf_counter()
        report = assistant.build(show_progress=False)
        wall = time.perf_counter() - started
        rows.append((label, report, wall))
        print(f"{label:<9} {report.summary()}")

    step("cold")
    step("no-op")
    if rows[-1][1].rebuilt:
        failures.append("no-op rebuild rebuilt the index")

    edited = corpus / names[args.files // 2]
    text = edited.read_text("utf-8")
    first_break = text.index("\n\n", text.index("\n\n") + 1)  # end of the title block
    paragraph_end = text.index("\n\n", first_break + 2)
    edited.write_text(
        text[:paragraph_end] + " This copy was revised once for the rebuild benchmark." + text[paragraph_end:], "utf-8"
    )
    step("edit 1")

    added = corpus / "zz-added.txt"
    added.write_text(f"Benchmark addendum\n\n{NEW_FILE_SENTENCE}\n", "utf-8")
    step("add 1")
    answer = assistant.ask(NEW_FILE_QUESTION)
    new_ok = answer.found and NEW_FILE_EXPECTED in answer.answer and answer.citations[0].source == added.name
    print(f"          ask {NEW_FILE_QUESTION!r} -> {answer.answer!r} "
          f"[{answer.citations[0].source if answer.citations else '-'}] "
          f"{'OK' if new_ok else 'FAILED'}")
    if not new_ok:
        failures.append("the added file's sentence was not the answer")

    deleted_number = 7 if args.files > 7 else 0
    deleted = corpus / names[deleted_number]
    deleted.unlink()
    step("delete 1")
    data = load_index(index)
    token = f"Marlowe-{deleted_number:04d}"
    in_index = [p for p in data.passages if p.source == deleted.name or token in p.text]
    in_sentences = [s for s in data.sentences if s.source == deleted.name or token in s.text]
    answer = assistant.ask(f"Which analyst filed archive copy {deleted_number:03d} of this overview?", top_k=10)
    cited = [c for c in answer.citations if c.source == deleted.name or token in c.text]
    gone = not in_index and not in_sentences and not cited and token not in answer.answer
    print(f"          {deleted.name}: {len(in_index)} passages and {len(in_sentences)} sentences left in the "
          f"index, {len(cited)} of {len(answer.citations)} citations from it; answer {answer.answer!r} "
          f"[{answer.citations[0].source if answer.citations else '-'}] {'OK' if gone else 'FAILED'}")
    if not gone:
        failures.append(f"text of the deleted file {deleted.name} is still retrievable")

    print()
    print(f"{args.files} files made from {args.source.name} (--vary {args.vary}, --seed {args.seed}); "
          f"model load {model_seconds:.1f} s, not counted below")
    print(f"{'step':<10}{'files':>6}{'passages':>10}{'embedded':>10}{'reused':>8}{'refresh s':>11}{'build+load s':>14}")
    for label, report, wall in rows:
        print(f"{label:<10}{report.files:>6}{report.passages:>10}{report.embedded:>10}{report.reused:>8}"
              f"{report.seconds:>11.2f}{wall:>14.2f}")
    print("refresh s: BuildReport.seconds (read corpus, compare, chunk, embed, write); "
          "build+load s: Assistant.build, which also loads the new index")
    if failures:
        print("FAILED: " + "; ".join(failures))
        return 1
    print("checks passed: no-op did not rebuild, added file answers, deleted file gone")
    return 0


if __name__ == "__main__":
    sys.exit(main())
