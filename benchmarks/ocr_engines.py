"""The two OCR engines that install here, on a scan of the shipped report: Tesseract (Debian's
tesseract-ocr, through pytesseract and tilqa's `formats.ocr`) and RapidOCR (PP-OCR models on ONNX
Runtime, from its PyPI wheel). Each page of the scan (render.render_scan: 200 dpi, tilted,
blurred) is read by each engine; "chars right" is difflib's ratio between what it read and the
text layer of the same page (white space runs as one space), "pages/s" its speed on this machine.
An engine that is not installed is reported as such.

    .venv/bin/python benchmarks/ocr_engines.py [--pages N]
"""

from __future__ import annotations

import argparse
import difflib
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, code_state, log

sys.path.insert(0, str(REPO / "tests"))  # the renderers the tests use

import render  # noqa: E402

CORPUS_FILE = REPO / "corpus" / "iovance-rd-focus.txt"
DPI = 200


def squash(text: str) -> str:
    return " ".join(text.split())


def tesseract(images: list) -> list[str]:
    from tilqa.formats.ocr import ocr_image

    return [squash(" ".join(line.text for line in ocr_image(image, DPI))) for image in images]


def rapidocr(images: list) -> list[str]:
    import numpy as np
    from rapidocr import RapidOCR

    engine = RapidOCR()
    return [squash(" ".join(engine(np.array(image.convert("RGB"))).txts or ())) for image in images]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=0, help="read only the first N pages")
    args = parser.parse_args()
    import pypdfium2

    out = Path(tempfile.mkdtemp(prefix="tilqa-ocr-"))
    log("printing the report with Chromium and scanning it")
    pdf = render.render_pdf(CORPUS_FILE, out / "report.pdf")
    scan = render.render_scan(pdf, out / "report-scan.pdf", dpi=DPI)
    layer, images = [], []
    for path, into in ((pdf, layer), (scan, images)):
        document = pypdfium2.PdfDocument(path)
        for n in range(len(document)):
            page = document[n]
            if into is layer:
                into.append(squash(page.get_textpage().get_text_range()))
            else:
                into.append(page.render(scale=DPI / 72, grayscale=True).to_pil())
        document.close()
    if args.pages:
        layer, images = layer[: args.pages], images[: args.pages]
    print(f"{code_state()}; {len(images)} pages at {DPI} dpi")
    print("| engine | chars right | pages/s |")
    print("| --- | --- | --- |")
    for name, read in (("tesseract", tesseract), ("rapidocr", rapidocr)):
        try:
            started = time.perf_counter()
            texts = read(images)
            seconds = time.perf_counter() - started
        except ImportError as exc:
            print(f"| {name} | not installed ({exc}) | |")
            continue
        right = statistics.fmean(
            difflib.SequenceMatcher(None, a, b, autojunk=False).ratio() for a, b in zip(layer, texts)
        )
        print(f"| {name} | {right:.4f} | {len(images) / seconds:.3g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
