"""Run by test_tiers.py in a pytest of its own with `TILQA_*` settings in its environment, never
collected otherwise (no `test_` prefix): every test here must still see the default settings."""

import os

import tilqa

from helpers import HashEncoder


def test_settings_from_the_environment_are_the_defaults() -> None:
    assert not [name for name in os.environ if name in ("TILQA_MIN_CONFIDENCE", "TILQA_TOP_K", "TILQA_RETRIEVAL")]
    assert tilqa.Settings.load() == tilqa.Settings()


def test_an_assistant_made_without_settings_has_the_defaults(tmp_path) -> None:
    settings = tilqa.Assistant(corpus_dir=tmp_path, index_dir=tmp_path / "index", embedder=HashEncoder()).settings
    defaults = tilqa.Settings()
    assert (settings.min_confidence, settings.top_k, settings.retrieval) == (
        defaults.min_confidence, defaults.top_k, defaults.retrieval
    )


def test_other_tilqa_variables_are_kept() -> None:
    assert os.environ.get("TILQA_REQUIRE_BROWSER") == "0"
