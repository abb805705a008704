"""Render the shipped corpus into real PDF, DOCX, HTML and Markdown files, and make bad files.

The files are made by the tools people use (Chromium's print to PDF, python-docx), with the
boilerplate such files carry (running headers, page numbers, navigation, cookie banners), so that
the extractors in `tilqa.formats` are tested, and benchmarked, on what they will meet.

Run `python tests/render.py OUT_DIR` to write every file into OUT_DIR.
"""

from __future__ import annotations

import html
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Literal

from tilqa.chunking import heading_text, paragraphs
from tilqa.documents import SECTION_SEPARATOR, Document, is_date_line

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Boilerplate put around the article; tests assert none of it reaches the extracted text.
PDF_HEADER_NOTE = "Internal research brief"
DOCX_HEADER = "Iovance R&D brief - internal draft for review"
DOCX_FOOTER = "Prepared by the tilqa test suite. Do not distribute."
NAV_LINKS = ("Home", "Pipeline", "Investors", "Careers", "Contact us")
COOKIE_TEXT = "We use cookies to improve your browsing experience and to analyse site traffic."
ASIDE_TEXT = "Related reading: quarterly newsletter sign-up and upcoming webinar registrations."
FOOTER_TEXT = "© 2025 Example Research Portal. Contact: press@example.com, +1 555 0100."
LINK_URL = "http://example.com/lifileucel"


@dataclass(frozen=True)
class Block:
    """A heading (level 1 = the document title) or a paragraph of the rendered document."""

    kind: Literal["heading", "paragraph"]
    text: str
    level: int = 0


@dataclass(frozen=True)
class Structure:
    title: str
    date: str | None
    blocks: tuple[Block, ...]

    @property
    def headings(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "heading"]

    @property
    def paragraphs(self) -> list[str]:
        return [b.text for b in self.blocks if b.kind == "paragraph"]


_DATE = re.compile(r"^\d{1,2} [A-Z][a-z]+ \d{4}$")


def read_structure(text_path: Path) -> Structure:
    """The corpus file's title, date, headings (with levels) and paragraphs, as tilqa's chunker
    reads them: the title is level 1, the chunker's section paths give levels 2 and below."""
    text = text_path.read_text(encoding="utf-8")
    doc = Document(source=text_path.name, text=text, sha256="")
    title: str | None = None
    date: str | None = None
    blocks: list[Block] = []
    previous_end = 0
    for start, end, section in paragraphs(doc):
        if is_date_line(text[start:end]):  # the dateline: a paragraph of its own, under the title
            title = title or next(filter(None, map(heading_text, text[previous_end:start].split("\n"))), None)
            date = date or text[start:end].strip()
            previous_end = end
            continue
        path = section.split(SECTION_SEPARATOR) if section else []
        for line in text[previous_end:start].split("\n"):
            line = line.strip()
            if _DATE.match(line):
                date = date or line
                continue
            name = heading_text(line)
            if name is None:
                continue
            if name in path:
                level = len(path) - path[::-1].index(name) + 1
                blocks.append(Block("heading", name, level))
            elif title is None and not blocks:
                title = name
        body = " ".join(part.strip() for part in text[start:end].split("\n"))
        blocks.append(Block("paragraph", body))
        previous_end = end
    if title is None:
        raise ValueError(f"{text_path} has no title line")
    return Structure(title, date, (Block("heading", title, 1), *blocks))


# --- HTML for the browser (PDF) and for the web page --------------------------------------------


def _article_html(structure: Structure) -> str:
    out: list[str] = []
    for block in structure.blocks:
        if block.kind == "heading":
            out.append(f"<h{block.level}>{html.escape(block.text)}</h{block.level}>")
            if block.level == 1 and structure.date:
                out.append(f'<p class="date">{html.escape(structure.date)}</p>')
        else:
            out.append(f"<p>{html.escape(block.text)}</p>")
    return "\n".join(out)


_PRINT_CSS = """
@page { size: A4; }
body { font-family: 'DejaVu Serif', 'Liberation Serif', serif; font-size: 11pt; line-height: 1.35; }
h1 { font-size: 20pt; margin: 0 0 6pt; }
h2 { font-size: 16pt; margin: 16pt 0 6pt; }
h3 { font-size: 13.5pt; margin: 12pt 0 5pt; }
h4 { font-size: 12pt; margin: 10pt 0 4pt; }
p { margin: 0 0 7pt; }
p.date { color: #555; }
"""

_HEADER_TEMPLATE = (
    '<div style="font-size:8pt; width:100%; margin:0 15mm; display:flex; '
    'justify-content:space-between; font-family:sans-serif;">'
    f'<span class="title"></span><span>{PDF_HEADER_NOTE}</span></div>'
)
_FOOTER_TEMPLATE = (
    '<div style="font-size:8pt; width:100%; text-align:center; font-family:sans-serif;">'
    '<span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)


class Printer:
    """Headless Chromium, launched once, printing HTML pages to PDF (a context manager)."""

    def __enter__(self) -> Printer:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS
            )
            self.page = self._browser.new_page()
        except BaseException:
            self._playwright.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._browser.close()
        finally:
            self._playwright.stop()

    def print_pdf(
        self, page_html: str, out_path: Path, script: str | None = None, **options: object
    ) -> Path:
        """Load `page_html` (then run `script`, if given) and print it with Playwright's
        `page.pdf` options."""
        self.page.set_content(page_html)
        if script:
            self.page.evaluate(script)
            self.page.wait_for_function("Array.from(document.images).every(i => i.complete)")
        self.page.pdf(path=str(out_path), **options)
        return out_path


@contextmanager
def _printer(printer: Printer | None) -> Iterator[Printer]:
    if printer is not None:
        yield printer
    else:
        with Printer() as own:
            yield own


def print_document_html(structure: Structure, css: str = _PRINT_CSS) -> str:
    """The page Chromium prints: the article alone, the title in <title> for the header."""
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(structure.title)}</title><style>{css}</style></head>"
        f"<body>{_article_html(structure)}</body></html>"
    )


# A second print style, as books and LaTeX set text: Letter paper, justified, paragraphs marked
# by a first-line indent instead of space, the lowest heading bold at body size, and the page
# number as "Page N of M" at the right of the footer.
_BOOK_CSS = """
@page { size: Letter; }
body { font-family: 'Liberation Serif', serif; font-size: 10.5pt; line-height: 1.25;
       text-align: justify; }
h1 { font-size: 17pt; margin: 0 0 8pt; }
h2 { font-size: 14pt; margin: 12pt 0 4pt; }
h3 { font-size: 12pt; margin: 8pt 0 3pt; }
h4 { font-size: 10.5pt; font-weight: bold; margin: 6pt 0 2pt; }
p { margin: 0; text-indent: 1.5em; }
"""
_BOOK_FOOTER_TEMPLATE = (
    '<div style="font-size:8pt; width:100%; text-align:right; margin-right:25mm;">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def render_pdf(
    text_path: Path,
    out_path: Path,
    outline: bool = True,
    printer: Printer | None = None,
    style: Literal["web", "book"] = "web",
) -> Path:
    """Print the corpus file with Chromium, with a running header holding the title and page
    numbers in the footer; with `outline`, bookmarks made from the headings.

    "web": A4, spaced paragraphs, "N / M" centred. "book": see _BOOK_CSS.
    """
    structure = read_structure(text_path)
    book = style == "book"
    with _printer(printer) as p:
        return p.print_pdf(
            print_document_html(structure, _BOOK_CSS if book else _PRINT_CSS),
            out_path,
            format="Letter" if book else "A4",
            display_header_footer=True,
            header_template=_HEADER_TEMPLATE,
            footer_template=_BOOK_FOOTER_TEMPLATE if book else _FOOTER_TEMPLATE,
            margin={"top": "25mm", "bottom": "25mm", "left": "20mm", "right": "20mm"}
            if not book
            else {"top": "20mm", "bottom": "20mm", "left": "25mm", "right": "25mm"},
            outline=outline,
            tagged=True,  # Chromium builds the outline from the tagged structure
        )


def render_scanned_pdf(out_path: Path, printer: Printer | None = None) -> Path:
    """A PDF whose page is only an image of text, as a scanner makes: no text layer."""
    script = """
    const c = document.createElement('canvas'); c.width = 1400; c.height = 900;
    const g = c.getContext('2d'); g.fillStyle = 'white'; g.fillRect(0, 0, c.width, c.height);
    g.fillStyle = 'black'; g.font = '32px serif';
    for (let i = 0; i < 12; i++)
      g.fillText('Scanned page: lifileucel, line ' + (i + 1), 60, 80 + 60 * i);
    const img = document.createElement('img'); img.src = c.toDataURL('image/png');
    img.style.width = '100%'; document.body.appendChild(img);
    """
    with _printer(printer) as p:
        return p.print_pdf(
            "<!doctype html><html><body></body></html>", out_path, script, format="A4"
        )


def render_scan(source_pdf: Path, out_path: Path, dpi: int = 200, tilt: float = 0.7,
                blur: float = 0.8) -> Path:
    """`source_pdf` as a scanner gives it back: each page rendered at `dpi`, turned by `tilt`
    degrees (alternating) and blurred a little (Pillow's Gaussian blur of radius `blur` pixels),
    saved as an image-only PDF: no text layer, for OCR."""
    import pypdfium2
    from PIL import ImageFilter

    pdf = pypdfium2.PdfDocument(source_pdf)
    try:
        images = []
        for number in range(len(pdf)):
            page = pdf[number]
            image = page.render(scale=dpi / 72).to_pil().convert("L")
            page.close()
            angle = tilt if number % 2 == 0 else -tilt
            image = image.rotate(angle, resample=3, expand=False, fillcolor=255)  # 3: bicubic
            images.append(image.filter(ImageFilter.GaussianBlur(blur)))
    finally:
        pdf.close()
    images[0].save(out_path, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out_path


def render_encrypted_pdf(source_pdf: Path, out_path: Path, password: str = "secret") -> Path:
    """`source_pdf` encrypted with a user password (pypdf, a test-only dependency)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source_pdf))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    with out_path.open("wb") as f:
        writer.write(f)
    return out_path


def render_corrupt_pdf(source_pdf: Path, out_path: Path) -> Path:
    """The first few hundred bytes of a real PDF: a download cut short."""
    out_path.write_bytes(source_pdf.read_bytes()[:400])
    return out_path


# --- Office and web formats ---------------------------------------------------------------------


def render_docx(text_path: Path, out_path: Path) -> Path:
    """A Word document: Title and Heading 1-3 styles, body paragraphs, a page header and footer."""
    import docx

    structure = read_structure(text_path)
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = DOCX_HEADER
    section.footer.paragraphs[0].text = DOCX_FOOTER
    for block in structure.blocks:
        if block.kind == "heading":
            # The title takes Word's "Title" style; the sections below it Heading 1, 2, 3.
            document.add_heading(block.text, level=block.level - 1)
            if block.level == 1 and structure.date:
                document.add_paragraph(structure.date)
        else:
            document.add_paragraph(block.text)
    document.save(str(out_path))
    return out_path


def render_html(text_path: Path, out_path: Path) -> Path:
    """A full web page: navigation, a cookie banner, a sidebar, the article, a footer."""
    structure = read_structure(text_path)
    nav = "".join(f'<li><a href="/{n.lower().replace(" ", "-")}">{n}</a></li>' for n in NAV_LINKS)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(structure.title)}</title></head>
<body>
<header class="site-header"><nav><ul>{nav}</ul></nav></header>
<div id="cookie-banner" class="cookie-consent"><p>{COOKIE_TEXT}</p><button>Accept</button></div>
<main>
<article>
{_article_html(structure)}
</article>
</main>
<aside class="sidebar"><h2>More from us</h2><p>{ASIDE_TEXT}</p></aside>
<footer><p>{html.escape(FOOTER_TEXT)}</p><p><a href="/privacy">Privacy policy</a></p></footer>
</body></html>
"""
    out_path.write_text(page, encoding="utf-8")
    return out_path


# Markup added to some paragraphs of the Markdown rendering; the visible text stays the corpus's.
_MD_LINK_WORD = "lifileucel"
_MD_CODE = re.compile(r"\bC-14[45]-0\d\b")


def markdown_paragraph(text: str, number: int) -> str:
    """One corpus paragraph with Markdown markup whose rendered text is `text` itself."""
    if number % 3 == 0:  # bold the first three words
        words = text.split(" ")
        text = "**" + " ".join(words[:3]) + "** " + " ".join(words[3:])
    elif number % 3 == 1 and len(text.split(" ")) > 8:  # emphasise a word in the middle
        words = text.split(" ")
        middle = len(words) // 2
        if words[middle].isalpha():
            words[middle] = f"*{words[middle]}*"
        text = " ".join(words)
    text = _MD_CODE.sub(lambda m: f"`{m.group(0)}`", text)
    return text.replace(_MD_LINK_WORD, f"[{_MD_LINK_WORD}]({LINK_URL})", 1)


def render_markdown(text_path: Path, out_path: Path) -> Path:
    """Markdown with `#` headings, bold and italic words, a link and code spans."""
    structure = read_structure(text_path)
    out: list[str] = []
    number = 0
    for block in structure.blocks:
        if block.kind == "heading":
            out.append("#" * block.level + " " + block.text)
            if block.level == 1 and structure.date:
                out.append(structure.date)
        else:
            out.append(markdown_paragraph(block.text, number))
            number += 1
    out_path.write_text("\n\n".join(out) + "\n", encoding="utf-8")
    return out_path


# Words that a narrow column breaks at their hyphen, and words broken only by the line: the
# soft hyphens (&shy;) let Chromium break "therapies" as "thera-" / "pies".
HYPHEN_WORDS = (
    "next-generation",
    "re-infusing",
    "anti-tumor",
    "clinical\u2010stage",
    "cost-effectiveness",
)
SOFT_WORDS = ("therapies", "immunotherapy", "manufacturing", "lymphocytes")


def hyphenation_paragraph() -> tuple[str, str]:
    """The narrow paragraph of `render_hyphenation_pdf`: as a reader sees it, and as HTML with
    soft hyphens (`&shy;`) in the SOFT_WORDS."""
    words: list[str] = []
    for number in range(6):
        words += [HYPHEN_WORDS[number % len(HYPHEN_WORDS)], "and"]
        words += [SOFT_WORDS[number % len(SOFT_WORDS)], "in", "trials"]
    shown = "Hyphenated " + " ".join(words) + "."
    marked = html.escape(shown)
    for word in SOFT_WORDS:
        middle = len(word) // 2
        marked = marked.replace(word, word[:middle] + "&shy;" + word[middle:])
    return shown, marked


# As in a real document, the hyphenated words also occur where no line breaks them.
HYPHENATION_INTRO = "Terms used: " + ", ".join(HYPHEN_WORDS) + "."


def render_hyphenation_pdf(out_path: Path, printer: Printer | None = None) -> Path:
    """A PDF with a column so narrow that lines end in real hyphens and in soft-hyphen breaks,
    after a wide paragraph (HYPHENATION_INTRO) that uses the hyphenated words."""
    _, marked = hyphenation_paragraph()
    page_html = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><style>"
        "body { font: 12pt serif; } p { margin: 0 0 12pt; } p.narrow { width: 7.5em; }"
        f"</style></head><body><p>{html.escape(HYPHENATION_INTRO)}</p>"
        f"<p class='narrow'>{marked}</p></body></html>"
    )
    with _printer(printer) as p:
        return p.print_pdf(page_html, out_path, format="A4")


def render_all(text_path: Path, out_dir: Path) -> dict[str, Path]:
    """Every rendering and every bad file, named by what it is."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = text_path.stem
    with Printer() as printer:
        files = {
            "pdf": render_pdf(text_path, out_dir / f"{stem}.pdf", printer=printer),
            "pdf_no_outline": render_pdf(
                text_path, out_dir / f"{stem}-no-outline.pdf", outline=False, printer=printer
            ),
            "pdf_book": render_pdf(
                text_path, out_dir / f"{stem}-book.pdf", False, printer, style="book"
            ),
            "scanned_pdf": render_scanned_pdf(out_dir / "scanned.pdf", printer=printer),
            "hyphenation_pdf": render_hyphenation_pdf(out_dir / "hyphenation.pdf", printer),
        }
    files["docx"] = render_docx(text_path, out_dir / f"{stem}.docx")
    files["html"] = render_html(text_path, out_dir / f"{stem}.html")
    files["markdown"] = render_markdown(text_path, out_dir / f"{stem}.md")
    files["encrypted_pdf"] = render_encrypted_pdf(files["pdf"], out_dir / "encrypted.pdf")
    files["corrupt_pdf"] = render_corrupt_pdf(files["pdf"], out_dir / "corrupt.pdf")
    unsupported = out_dir / "notes.xyz"
    unsupported.write_text("not a supported format\n", encoding="utf-8")
    files["unsupported"] = unsupported
    return files


if __name__ == "__main__":
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "iovance-rd-focus.txt"
    for name, path in render_all(corpus, Path(sys.argv[1])).items():
        print(f"{name}: {path}")
