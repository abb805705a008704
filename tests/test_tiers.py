"""The test suite's own rules (tests/README.md), checked by running pytest on the probes in
`probes/`: a fast test cannot load the real model, tests see default settings whatever the
caller's shell sets, and a missing Chromium skips tests saying why, or fails them in CI."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import helpers
from helpers import REQUIRE_BROWSER, need_chromium

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def run_probe(probe: str, report: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    """pytest on probes/`probe` in a process of its own, its results in the JUnit file `report`;
    the environment is this one without TILQA_* variables, plus `environ`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TILQA_")} | environ
    command = [
        sys.executable, "-m", "pytest", str(TESTS / "probes" / probe), "-p", "no:cacheprovider",
        "-p", "no:randomly", f"--junitxml={report}", "-o", "junit_family=xunit1",
    ]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def outcomes(report: Path) -> dict[str, str | None]:
    """{test name: None if it passed, else its failure's message}."""
    results = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problem = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        results[case.get("name")] = (
            problem.get("message", "") + (problem.text or "") if problem is not None
            else f"skipped: {skipped.get('message')}" if skipped is not None else None
        )
    return results


def test_a_fast_test_that_loads_the_model_in_any_way_fails_saying_so(tmp_path: Path) -> None:
    result = run_probe("tier_probe.py", tmp_path / "report.xml")
    got = outcomes(tmp_path / "report.xml")
    assert set(got) == {
        "test_default_assistant_asks", "test_default_assistant_exports_the_model_first", "test_int8_assistant_builds",
        "test_torch_assistant_builds", "test_sentence_transformers_called_directly",
        "test_sentence_transformers_called_again_once_imported", "test_onnxruntime_called_directly",
        "test_a_module_fixture_builds_a_default_assistant",
    }, result.stdout[-3000:]
    for name, message in got.items():
        assert message is not None, f"{name} loaded the model in the fast tier and passed"
        assert "loads the embedding model" in message and "mark it @pytest.mark.model" in message, (name, message[-2000:])
    assert result.returncode == 1


def test_tests_see_default_settings_whatever_the_shell_sets(tmp_path: Path) -> None:
    shell = {"TILQA_MIN_CONFIDENCE": "0", "TILQA_TOP_K": "9", "TILQA_RETRIEVAL": "bm25", REQUIRE_BROWSER: "0"}
    result = run_probe("settings_probe.py", tmp_path / "report.xml", **shell)
    assert outcomes(tmp_path / "report.xml") == {
        "test_settings_from_the_environment_are_the_defaults": None,
        "test_an_assistant_made_without_settings_has_the_defaults": None,
        "test_other_tilqa_variables_are_kept": None,
    }, result.stdout[-3000:]
    assert "ignored for the tests (defaults used): TILQA_MIN_CONFIDENCE, TILQA_RETRIEVAL, TILQA_TOP_K" in result.stdout


def test_without_chromium_a_test_skips_saying_why_and_fails_where_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(helpers, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv(REQUIRE_BROWSER, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium is not installed: real PDFs cannot be made"):
        need_chromium("real PDFs cannot be made")
    monkeypatch.setenv(REQUIRE_BROWSER, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{REQUIRE_BROWSER} is set, so this fails instead of skipping"):
        need_chromium("real PDFs cannot be made")


def test_ci_requires_the_browser() -> None:
    """CI runs the README's command with Chromium required, so its tests cannot skip there."""
    lines = (ROOT / ".ci" / "run").read_text("utf-8").splitlines()
    assert f"export {REQUIRE_BROWSER}=1" in lines and lines[-1] == "make test"
