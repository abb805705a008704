"""Installing tilqa as a new user would, with the pip Python ships (not upgraded), and building a
library of PDF, HTML, DOCX and Markdown with what was installed (marked `install`: several
minutes, most of them pip's).

This is the README's pip route: a new virtualenv, `pip install torch==...` (a CPU build), then
`pip install .` of a copy of this tree. The first build exports the model to ONNX once, into a
fresh cache. pip 23 does not install the `lxml[html_clean]` extra jusText asks for, which once
stopped every build at the first HTML file; tilqa names `lxml_html_clean` itself.
"""

from __future__ import annotations

import ensurepip
import json
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

import render

pytestmark = [pytest.mark.install, pytest.mark.model]

ROOT = Path(__file__).resolve().parents[1]
CORPUS_FILE = ROOT / "corpus" / "iovance-rd-focus.txt"
PIP_TIMEOUT = 3600  # pip resolves and unpacks about 100 packages, torch among them


def _tree_files() -> list[Path]:
    """The files of this tree a clone has (tracked, or new and not ignored), else all but the
    virtualenv and built output."""
    if (ROOT / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(
            ["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True, check=True,
        ).stdout.decode().split("\0")
        return [Path(name) for name in listed if name and (ROOT / name).is_file()]
    skip = {".venv", ".git", "artifacts", "builds"}
    return [p.relative_to(ROOT) for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)]


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_a_stock_pip_install_builds_a_library_of_every_format(tmp_path: Path) -> None:
    if not Path(render.CHROMIUM).exists():
        pytest.skip(f"{render.CHROMIUM} missing: the library's PDF cannot be printed")
    tree = tmp_path / "tilqa"
    for name in _tree_files():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    shutil.rmtree(tree / "index" / "builds", ignore_errors=True)

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "TILQA_", "VIRTUAL_ENV"))}
    env["TILQA_ONNX_CACHE_DIR"] = str(tmp_path / "onnx-cache")  # the one-time export, done anew
    venv = tmp_path / "venv"
    python = str(venv / "bin" / "python")
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", str(venv)], tmp_path, env, 300)
    pip = _run([python, "-m", "pip", "--version"], tmp_path, env, 60).stdout
    assert pip.split()[1] == ensurepip.version(), f"not the pip Python ships ({ensurepip.version()}): {pip}"

    torch = "torch==" + version("torch").split("+")[0]  # the README's pin: a CPU build here
    _run([python, "-m", "pip", "install", torch], tmp_path, env, PIP_TIMEOUT)
    installed = _run([python, "-m", "pip", "install", "-v", str(tree)], tmp_path, env, PIP_TIMEOUT)
    assert "lxml_html_clean" in installed.stdout
    assert "is deprecated" not in installed.stdout + installed.stderr  # setuptools' about our pyproject

    library = tmp_path / "library"
    corpus = library / "corpus"
    corpus.mkdir(parents=True)
    render.render_pdf(CORPUS_FILE, corpus / "brief.pdf")
    render.render_html(CORPUS_FILE, corpus / "brief.html")
    render.render_docx(CORPUS_FILE, corpus / "brief.docx")
    render.render_markdown(CORPUS_FILE, corpus / "brief.md")

    tilqa = str(venv / "bin" / "tilqa")
    built = _run([tilqa, "build", "--json"], library, env, 1800)  # the corpus/ of the current folder
    report = json.loads(built.stdout)
    assert report["files"] == 4 and report["skipped"] == [], report
    for noise in ("Traceback", "Warning", "torchvision", "no corpus/ in"):
        assert noise not in built.stderr, built.stderr
    assert (library / "index").is_dir()

    asked = _run([tilqa, "ask", "Which IL-2 product did Iovance acquire?", "--json"], library, env, 600)
    answer = json.loads(asked.stdout)
    assert answer["found"] and "Proleukin" in answer["answer"], answer
    assert {c["source"] for c in answer["citations"]} <= {"brief.pdf", "brief.html", "brief.docx", "brief.md"}
