import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from tilqa import Settings, SettingsError

# For every setting: a valid environment value other than the default, and what it reads as.
ENVIRONMENT = {
    "corpus_dir": ("~/tilqa-test-corpus", Path.home() / "tilqa-test-corpus"),
    "index_dir": ("/tmp/tilqa-test-index", Path("/tmp/tilqa-test-index")),
    "model": ("some-org/some-model", "some-org/some-model"),
    "passage_sentences": ("5", 5),
    "passage_overlap": ("2", 2),
    "join_short_paragraphs": ("off", False),
    "batch_size": ("7", 7),
    "backend": ("torch", "torch"),
    "device": ("cpu", "cpu"),
    "onnx_cache_dir": ("~/tilqa-test-onnx", Path.home() / "tilqa-test-onnx"),
    "ray_address": ("127.0.0.1:6379", "127.0.0.1:6379"),
    "retrieval": ("bm25", "bm25"),
    "fusion": ("rrf", "rrf"),
    "candidates": ("11", 11),
    "rrf_k": ("13", 13),
    "dense_weight": ("0.25", 0.25),
    "top_k": ("4", 4),
    "max_top_k": ("9", 9),
    "answer_passages": ("6", 6),
    "sentence_scoring": ("hybrid", "hybrid"),
    "min_confidence": ("0.45", 0.45),
    "max_question_chars": ("500", 500),
    "auth": ("ann:s3cret", "ann:s3cret"),
    "max_upload_mb": ("2.5", 2.5),
    "uploads": ("off", "off"),
    "allowed_hosts": (" tilqa.lan, ,qa.example ", ("tilqa.lan", "qa.example")),
    "login_attempts": ("3", 3),
    "max_upload_chars": ("5000", 5000),
    "extract_memory_mb": ("400", 400),
    "extract_seconds": ("20", 20.0),
    "chat_title": ("Trial desk", "Trial desk"),
    "chat_description": ("Questions about *our* trials.", "Questions about *our* trials."),
    "chat_placeholder": ("Ask about the trials…", "Ask about the trials…"),
    "chat_examples": (" Who runs trial A? | |What is B?", ("Who runs trial A?", "What is B?")),
    "chat_examples_note": ("all answered", "all answered"),
}


def test_environment_then_arguments_override_defaults(tmp_path: Path) -> None:
    env = {"TILQA_CORPUS_DIR": str(tmp_path / "c"), "TILQA_TOP_K": "5", "TILQA_MIN_CONFIDENCE": "0.6"}
    settings = Settings.load(env, top_k=7)
    assert settings.corpus_dir == tmp_path / "c"
    assert settings.top_k == 7 and settings.min_confidence == 0.6
    assert Settings.load({}).model == "all-MiniLM-L6-v2"


def test_every_setting_is_read_from_its_environment_variable() -> None:
    fields = {f.name for f in dataclasses.fields(Settings)}
    assert set(ENVIRONMENT) == fields, "give each new setting a value in ENVIRONMENT"
    defaults = Settings.load(environ={})
    settings = Settings.load(environ={f"TILQA_{name.upper()}": raw for name, (raw, _) in ENVIRONMENT.items()})
    for name, (_, expected) in ENVIRONMENT.items():
        assert getattr(defaults, name) != expected, f"{name}: pick a value other than the default"
        assert getattr(settings, name) == expected, name


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


def test_the_default_corpus_is_the_current_folders_else_the_checkouts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = Path(__file__).resolve().parents[1]
    here = tmp_path / "library"
    (here / "corpus").mkdir(parents=True)
    monkeypatch.chdir(here)
    settings = Settings.load(environ={})
    assert (settings.corpus_dir, settings.index_dir) == (here / "corpus", here / "index")
    monkeypatch.chdir(tmp_path)  # no corpus/ here: the checkout's, which the CLI warns about
    assert Settings.load(environ={}).corpus_dir == checkout / "corpus"
