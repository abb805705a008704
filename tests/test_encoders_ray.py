"""Builds embedded on a real Ray cluster: two nodes on this machine (`ray start --head`, then a
second `ray start --address`, one CPU each, loopback, no dashboard), against a local build of the
same corpus. The cluster is started once for the module and stopped even when a test fails.

Slow (a minute or more per build on 2 cores: each actor loads the model): marked `ray` and `model`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tilqa
import tilqa.cli
from tilqa.config import DEFAULT_MODEL

from helpers import write_corpus

HAS_RAY = importlib.util.find_spec("ray") is not None and importlib.util.find_spec("pyarrow") is not None
needs_ray = pytest.mark.skipif(not HAS_RAY, reason="the ray extra is not installed: pip install -e '.[ray]'")

# Twelve made-up products, six sentences each: 72 sentences and 36 passages, so that both the
# passages and the sentences are more than RayEncoder embeds locally (local_below=32).
PRODUCTS = [
    ("Aldorin", "Leiden", "ovarian cancer", "2014", "Marta Kos", "cold-chain shipping"),
    ("Brevamet", "Porto", "sarcoma", "2016", "Ivo Lind", "a closed bioreactor"),
    ("Caltirex", "Gdansk", "glioblastoma", "2012", "Ana Ruiz", "gamma irradiation"),
    ("Dornavel", "Tartu", "mesothelioma", "2019", "Ola Berg", "a lentiviral vector"),
    ("Eskaline", "Bergen", "cervical cancer", "2011", "Tom Vidal", "serum-free media"),
    ("Fenquor", "Ghent", "head and neck cancer", "2018", "Lia Moser", "automated harvesting"),
    ("Galtrazine", "Turku", "bladder cancer", "2015", "Sven Roos", "cryopreserved bags"),
    ("Hesperol", "Lund", "renal cell carcinoma", "2013", "Nina Falk", "a rapid expansion protocol"),
    ("Irvamide", "Cork", "pancreatic cancer", "2020", "Paul Hart", "magnetic bead selection"),
    ("Jovicet", "Basel", "uveal melanoma", "2017", "Rita Sand", "single-use tubing"),
    ("Kelfaro", "Brno", "colorectal cancer", "2010", "Jan Novak", "a perfusion system"),
    ("Lumidane", "Graz", "thyroid cancer", "2021", "Eva Horn", "an inline cell counter"),
]


def _paragraph(name: str, site: str, disease: str, year: str, lead: str, method: str) -> str:
    return (
        f"{name} is an investigational cell therapy for {disease}. "
        f"It is manufactured at the company's plant in {site}. "
        f"The first patient received {name} in {year}. "
        f"The program is led by {lead}. "
        f"Its manufacturing relies on {method}. "
        f"Regulators granted {name} an orphan designation."
    )


CORPUS = {
    "pipeline.md": "\n\n".join(f"## {p[0]}\n\n{_paragraph(*p)}" for p in PRODUCTS[:6]) + "\n",
    "more/pipeline-b.txt": "\n\n".join(_paragraph(*p) for p in PRODUCTS[6:]) + "\n",
}
QUESTIONS = [
    "Where is Brevamet manufactured?",
    "Who leads the Irvamide program?",
    "When did the first patient receive Dornavel?",
    "Which disease does Lumidane treat?",
    "What does Jovicet manufacturing rely on?",
]


# -- without a cluster ---------------------------------------------------------------------


def test_importing_ray_encoder_does_not_import_ray() -> None:
    code = "import sys, tilqa.encoders.ray; sys.exit('ray' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], timeout=120).returncode == 0


def test_without_the_ray_extra_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from tilqa.encoders import RayEncoder

    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now raises ImportError
    with pytest.raises(tilqa.SettingsError, match=r"pip install 'tilqa\[ray\]'") as caught:
        RayEncoder(DEFAULT_MODEL, "auto")
    assert "\n" not in str(caught.value)


@needs_ray
def test_unreachable_cluster_fails_fast_with_one_line(tmp_path: Path) -> None:
    # In a new process: this one may be connected to the test cluster already.
    from helpers import free_port

    code = (
        "import sys, time, tilqa\n"
        "from tilqa import ClusterError\nfrom tilqa.encoders import RayEncoder\n"
        "started = time.monotonic()\n"
        f"encoder = RayEncoder(address='127.0.0.2:{free_port()}')\n"
        "try:\n"
        "    encoder.encode(['a text'] * 40)\n"
        "except ClusterError as exc:\n"
        "    assert isinstance(exc, tilqa.TilqaError)\n"
        "    print(exc)\n"
        "    sys.exit(0 if time.monotonic() - started < 30 else 3)\n"
        "sys.exit(2)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("cannot reach a Ray cluster at 127.0.0.2:")
    assert result.stdout.count("\n") == 1


# -- on a two-node cluster -------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    """Two Ray nodes of one CPU each on this machine, stopped by process group at the end."""
    from tilqa.testing import LocalCluster

    local = LocalCluster(nodes=2, cpus_per_node=1)
    try:
        local.start()
        yield local
    finally:
        import ray

        ray.shutdown()  # this process joined the cluster as a driver
        local.stop()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("ray-corpus"), CORPUS)


@pytest.fixture(scope="module")
def local_build(corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> tilqa.Assistant:
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("local-index"))
    assistant.build(show_progress=False)
    return assistant


@pytest.fixture(scope="module")
def ray_build(cluster, corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    from tilqa.encoders import RayEncoder

    encoder = RayEncoder(DEFAULT_MODEL, cluster.address)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("ray-index"), embedder=encoder)
    report = assistant.build(show_progress=False)
    return assistant, report


def _passage_vectors(data) -> np.ndarray:
    return np.asarray(data.passage_vectors.vectors)


def assert_same_index(ray_data, local_data) -> None:
    """Identical records, and vectors equal within float tolerance (batches differ in padding)."""
    assert ray_data.passages == local_data.passages
    assert ray_data.sentences == local_data.sentences
    assert ray_data.manifest["model"] == local_data.manifest["model"] == DEFAULT_MODEL
    np.testing.assert_allclose(_passage_vectors(ray_data), _passage_vectors(local_data), atol=1e-4)
    np.testing.assert_allclose(ray_data.sentence_vectors, local_data.sentence_vectors, atol=1e-4)
    ray_tokens, local_tokens = ray_data.tokens, local_data.tokens
    assert (ray_tokens is None) == (local_tokens is None)
    if local_tokens is not None:
        assert len(ray_tokens.spans) == len(local_tokens.spans)
        np.testing.assert_array_equal(ray_tokens.headings, local_tokens.headings)
        for row in range(len(local_tokens.spans)):
            np.testing.assert_array_equal(ray_tokens.ids(row), local_tokens.ids(row))
            # float16: one unit in the last place of a value near 1 is 1e-3
            np.testing.assert_allclose(ray_tokens.unit_vectors(row), local_tokens.unit_vectors(row), atol=2e-3)


@pytest.mark.ray
@pytest.mark.model
@needs_ray
def test_build_on_ray_gives_the_index_and_answers_of_a_local_build(ray_build, local_build: tilqa.Assistant) -> None:
    assistant, report = ray_build
    assert report.rebuilt and report.embedded > 64 and report.reused == 0
    assert_same_index(assistant.index, local_build.index)
    for question in QUESTIONS:
        ours, theirs = assistant.ask(question), local_build.ask(question)
        assert ours.answer == theirs.answer and ours.found == theirs.found, question
        assert [c.source for c in ours.citations] == [c.source for c in theirs.citations], question
        assert abs(ours.confidence - theirs.confidence) < 1e-3, question
    assert "Porto" in assistant.ask(QUESTIONS[0]).answer


@pytest.mark.ray
@pytest.mark.model
@needs_ray
def test_cli_build_with_ray_matches_local_build(
    cluster, corpus: Path, local_build: tilqa.Assistant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    status = tilqa.cli.run(
        ["build", "--ray", cluster.address, "--corpus", str(corpus), "--index", str(index), "--json"], environ={}
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    report = json.loads(captured.out)
    assert report["rebuilt"] and report["embedded"] > 64
    assert_same_index(tilqa.Assistant(corpus_dir=corpus, index_dir=index).index, local_build.index)


# -- faults ----------------------------------------------------------------------------------


def _ready_actors(cluster) -> dict[int, str]:
    """The Ray Data actors of `cluster` that have loaded the model ({pid: process title}; the
    title is `ray::MapWorker(...)`, ending `.submit` while running a batch, `.__init__` before).
    Actors run in sessions of their own, so they are found as children of the cluster's raylets."""
    table = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,pgid=,args="], capture_output=True, text=True).stdout
    rows = [line.split(None, 3) for line in table.splitlines() if len(line.split(None, 3)) == 4]
    groups = {str(pid) for pid in cluster.pids}
    raylets = {pid for pid, _, pgid, args in rows if pgid in groups and args.split()[0].endswith("raylet")}
    return {int(pid): args for pid, ppid, _, args in rows
            if ppid in raylets and args.startswith("ray::MapWorker") and not args.endswith("__init__")}


@pytest.mark.ray
@pytest.mark.model
@needs_ray
def test_a_worker_killed_mid_build_is_replaced_and_the_vectors_are_the_same(cluster) -> None:
    from tilqa.encoders import Embedder
    from tilqa.encoders import RayEncoder

    texts = [f"{s} (copy {copy})" for copy in range(8) for p in PRODUCTS for s in _paragraph(*p).split(". ")]
    encoder = RayEncoder(DEFAULT_MODEL, cluster.address, batch_size=8)
    encoder.connect()  # from the main thread, where Ray sets its signal handlers
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["output"] = encoder.encode_with_tokens(texts, show_progress=False)
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    killed = None
    while killed is None and thread.is_alive():
        ready = _ready_actors(cluster)
        if ready:  # one running a batch if any, else one between batches: both lose work
            killed = max(ready, key=lambda pid: ready[pid].endswith(".submit"))
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.1)
    thread.join(900)
    assert not thread.is_alive(), "the embedding did not finish after an actor was killed"
    assert "error" not in result, result.get("error")
    assert killed is not None, "no actor was seen with the model loaded before the embedding finished"
    vectors, tokens = result["output"]  # type: ignore[misc]
    expected, expected_tokens = Embedder(DEFAULT_MODEL).encode_with_tokens(texts, show_progress=False)
    assert len(texts) == 576 and vectors.shape == expected.shape
    np.testing.assert_allclose(vectors, expected, atol=1e-4)
    assert all(np.array_equal(a.ids, b.ids) for a, b in zip(tokens, expected_tokens))


@pytest.mark.ray
@pytest.mark.model
@needs_ray
def test_a_failed_ray_build_raises_one_line_and_leaves_the_old_index_live(
    cluster, ray_build, corpus: Path, tmp_path: Path
) -> None:
    """Workers that cannot load the model fail the build with a ClusterError; the index it was
    to replace stays live, and a local build finds it up to date."""
    from tilqa.index import current_build
    from tilqa import ClusterError
    from tilqa.encoders import RayEncoder

    index = tmp_path / "index"
    shutil.copytree(ray_build[0].settings.index_dir, index, symlinks=True)
    live = current_build(index)
    not_a_model = tmp_path / "not-a-model"  # a folder without a model in it: loading fails at once
    not_a_model.mkdir()
    with pytest.raises(ClusterError) as caught:
        tilqa.Assistant(corpus_dir=corpus, index_dir=index, embedder=RayEncoder(str(not_a_model), cluster.address)).build()
    assert isinstance(caught.value, tilqa.TilqaError)
    assert str(caught.value).startswith(f"embedding on the Ray cluster at {cluster.address} failed: ")
    assert "\n" not in str(caught.value)
    assert current_build(index) == live
    report = tilqa.Assistant(corpus_dir=corpus, index_dir=index).build(show_progress=False)
    assert not report.rebuilt, report.reason
