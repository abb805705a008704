"""The development questions asked of the shipped corpus in every format tilqa reads.

The corpus file is rendered by real tools (tests/render.py: Chromium prints the PDF with a running
header and page numbers, python-docx writes the DOCX with a header and footer, the HTML page has
navigation, a cookie banner, a sidebar and a footer, the Markdown has emphasis, links and code),
each into a corpus folder of its own, indexed by tilqa and asked the questions of `eval/dev.jsonl`.
One table: accuracy, evidence recall, unanswerable declined, answerable wrongly declined, fidelity
(citations whose offsets round-trip through `Assistant.document_text`), pages right (PDF
citations whose passage starts on the page cited, checked against the page text PDFium reads),
and extraction time. "pdf-scan" is the PDF as a scanner gives it back (render.render_scan: pages
at 200 dpi, tilted, blurred, no text layer), read by OCR; its "chars right" is how much of the
PDF's extracted text its OCR'd text matches (difflib's ratio).

    .venv/bin/python benchmarks/formats.py [--questions eval/dev.jsonl] [--out DIR]
"""

from __future__ import annotations

import argparse
import difflib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, code_state, log

sys.path.insert(0, str(REPO / "tests"))  # the renderers the tests use

import render  # noqa: E402

import tilqa  # noqa: E402
from tilqa.evaluation import evaluate, load_questions  # noqa: E402
from tilqa.formats import extract  # noqa: E402

CORPUS_FILE = REPO / "corpus" / "iovance-rd-focus.txt"
_SPACE = re.compile(r"\s+")


def squash(text: str) -> str:
    return _SPACE.sub("", text).lower()


def pdf_pages(path: Path) -> list[str]:
    """The text PDFium reads on each page, white space removed (to check cited pages against)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [squash(page.get_textpage().get_text_range()) for page in pdf]
    finally:
        pdf.close()


def page_right(citation: tilqa.Citation, pages: list[str]) -> bool:
    """The passage's first words are printed on the page cited (hyphenation and line breaks
    ignored by comparing without white space and hyphens)."""
    if citation.page is None or not 1 <= citation.page <= len(pages):
        return False
    head = squash(citation.text)[:40].replace("-", "")
    return head in pages[citation.page - 1].replace("-", "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=REPO / "eval" / "dev.jsonl")
    parser.add_argument("--out", type=Path, help="keep the rendered files and indexes here")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="tilqa-formats-"))
    questions = load_questions(args.questions)

    log("rendering the corpus with Chromium, python-docx, HTML and Markdown")
    files = {"txt": CORPUS_FILE}
    with render.Printer() as printer:
        files["pdf"] = render.render_pdf(CORPUS_FILE, out / "render" / "iovance-rd-focus.pdf", printer=printer)
    files["docx"] = render.render_docx(CORPUS_FILE, out / "render" / "iovance-rd-focus.docx")
    files["html"] = render.render_html(CORPUS_FILE, out / "render" / "iovance-rd-focus.html")
    files["md"] = render.render_markdown(CORPUS_FILE, out / "render" / "iovance-rd-focus.md")
    files["pdf-scan"] = render.render_scan(files["pdf"], out / "render" / "iovance-rd-focus-scan.pdf")
    pages = pdf_pages(files["pdf"])
    layer = extract(files["pdf"]).text

    rows = []
    for label, path in files.items():
        corpus = out / label / "corpus"
        corpus.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, corpus / path.name)
        started = time.perf_counter()
        extracted = extract(path)
        extraction_s = time.perf_counter() - started
        assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=out / label / "index")
        log(f"{label}: building and asking {len(questions)} questions")
        assistant.build()
        report = evaluate(assistant, questions)
        citations = [c for q in questions for c in assistant.ask(q.question).citations]
        fidelity = sum(assistant.document_text(c.source)[c.start : c.end] == c.text for c in citations) / len(citations)
        right = [page_right(c, pages) for c in citations] if label.startswith("pdf") else []
        n_pages = len(extracted.pages) or 1
        chars = difflib.SequenceMatcher(None, layer, extracted.text, autojunk=False).ratio() if label == "pdf-scan" else None
        rows.append((label, report, fidelity, sum(right) / len(right) if right else None, extraction_s, n_pages, chars))

    print(f"{code_state()}; {len(questions)} questions from {args.questions.name}; {len(pages)} PDF pages")
    print("| format | accuracy | evidence | declined | wrongly declined | fidelity | pages right | chars right | extraction s | pages/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for label, r, fidelity, pages_right, seconds, n, chars in rows:
        right = f"{pages_right:.3f}" if pages_right is not None else "n/a"
        rate = f"{n / seconds:.3g}" if label.startswith("pdf") else "n/a"
        print(
            f"| {label} | {r.accuracy:.3f} | {r.evidence_recall:.3f} | {r.declined_unanswerable:.2f} | "
            f"{r.wrongly_declined:.3f} | {fidelity:.3f} | {right} | {'n/a' if chars is None else f'{chars:.4f}'} | "
            f"{seconds:.3f} | {rate} |"
        )
    if args.out is None:
        shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
