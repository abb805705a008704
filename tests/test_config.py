import subprocess
import sys
from pathlib import Path

import pytest

from tilqa import Settings, SettingsError


def test_environment_then_arguments_override_defaults(tmp_path: Path) -> None:
    env = {"TILQA_CORPUS_DIR": str(tmp_path / "c"), "TILQA_TOP_K": "5", "TILQA_MIN_CONFIDENCE": "0.6"}
    settings = Settings.load(env, top_k=7)
    assert settings.corpus_dir == tmp_path / "c"
    assert settings.top_k == 7 and settings.min_confidence == 0.6
    assert Settings.load({}).model == "all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    "env, kwargs, message",
    [
        ({"TILQA_TOP_K": "many"}, {}, "TILQA_TOP_K='many' is not a valid int"),
        ({}, {"retrieval": "magic"}, "retrieval must be one of hybrid, dense, bm25"),
        ({}, {"passage_overlap": 3}, "passage_overlap must be between"),
        ({}, {"min_confidence": 2.0}, "min_confidence must be between 0 and 1"),
        ({}, {"colour": "red"}, "unknown setting"),
    ],
)
def test_bad_settings_are_named(env, kwargs, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.load(env, **kwargs)


def test_importing_tilqa_loads_no_heavy_library() -> None:
    """No work at import time: torch, the model library, Gradio, NLTK (2 s on its own), bm25s with
    scipy and FAISS load on first use, so `import tilqa` and `tilqa --help` are quick."""
    heavy = ("torch", "sentence_transformers", "gradio", "nltk", "bm25s", "scipy", "faiss")
    code = f"import sys, tilqa; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == ""
