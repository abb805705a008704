"""A running assistant follows the corpus: rebuilt by another process, or watched, without
restart, and every question asked meanwhile is answered. Plumbing: embedded with HashEncoder,
and each question names words of exactly one passage."""

import dataclasses
import subprocess
import sys
import threading
import time
from pathlib import Path

import tilqa
from tilqa.assistant import RELOAD_CHECK_SECONDS
from tilqa.watch import watch_corpus

from helpers import SMALL_CORPUS, HashEncoder, write_corpus

TESTS = Path(__file__).resolve().parent
NEW_FACT = "Findings\nThe zebra protocol doubled TIL persistence in mice. It used cytokine priming.\n"


def sources(answer: tilqa.Answer) -> set[str]:
    return {c.source for c in answer.citations}


def ask_until(assistant: tilqa.Assistant, question: str, predicate, timeout: float = 30.0) -> tilqa.Answer:
    deadline = time.monotonic() + timeout
    while True:
        answer = assistant.ask(question, top_k=5)
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


# Another process building the index, as `tilqa build` does (Assistant.build, then the report's
# summary), with the same encoder.
BUILD_IN_ANOTHER_PROCESS = """
import sys
sys.path.insert(0, sys.argv[1])
import tilqa
from helpers import HashEncoder
print(tilqa.Assistant(corpus_dir=sys.argv[2], index_dir=sys.argv[3], embedder=HashEncoder()).build().summary())
"""


def test_rebuild_by_another_process_is_picked_up_without_restart(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    index = tmp_path / "index"
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=index, embedder=HashEncoder())
    question = "What did the zebra protocol do?"
    assert "new.txt" not in sources(assistant.ask(question, top_k=5))

    failures: list[BaseException] = []
    answered = 0
    stop = threading.Event()

    def keep_asking() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                assistant.ask("Who licensed the gene-editing technology?")
                answered += 1
            except BaseException as exc:  # any failure during the rebuild is the bug
                failures.append(exc)
            stop.wait(0.01)  # HashEncoder answers in milliseconds: leave the other process the CPU

    asker = threading.Thread(target=keep_asking)
    asker.start()
    try:
        (corpus / "new.txt").write_text(NEW_FACT, "utf-8")
        (corpus / "trials.txt").unlink()
        result = subprocess.run(
            [sys.executable, "-c", BUILD_IN_ANOTHER_PROCESS, str(TESTS), str(corpus), str(index)],
            capture_output=True, text=True, timeout=300,
        )
        assert result.returncode == 0, result.stderr
        assert "added: new.txt" in result.stdout and "removed: trials.txt" in result.stdout
        answer = ask_until(assistant, question, lambda a: "new.txt" in sources(a), 10 * RELOAD_CHECK_SECONDS)
    finally:
        stop.set()
        asker.join()
    assert not failures and answered > 0
    assert answer.citations[0].source == "new.txt"
    assert "trials.txt" not in sources(assistant.ask("How long are cells expanded?", top_k=5))


def test_watched_corpus_is_rebuilt_and_served(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    assistant.build()
    stop = threading.Event()
    watch_corpus(assistant, interval=0.2, stop=stop)
    try:
        (corpus / "new.txt").write_text(NEW_FACT, "utf-8")
        answer = ask_until(assistant, "What did the zebra protocol do?", lambda a: "new.txt" in sources(a))
    finally:
        stop.set()
    assert answer.citations[0].source == "new.txt"


def test_an_index_built_with_other_settings_is_not_answered_from(tmp_path: Path) -> None:
    from tilqa.index import load_index
    from tilqa.indexing import refresh_index

    corpus = write_corpus(tmp_path / "corpus", SMALL_CORPUS)
    assistant = tilqa.Assistant(corpus_dir=corpus, index_dir=tmp_path / "index", embedder=HashEncoder())
    question = "Who licensed the gene-editing technology?"
    # Its own chunking (three-sentence passages) cites both sentences of partners.md together;
    # the other build's one-sentence passages would cite the first alone.
    both = "licensed a gene-editing technology from Cellectis. The license covers PD-1 knockouts."
    assert both in assistant.ask(question).citations[0].text
    other = dataclasses.replace(assistant.settings, passage_sentences=1, passage_overlap=0)
    refresh_index(other, assistant.embedder)  # as another process with other settings would
    assert load_index(tmp_path / "index").manifest["chunking"] == other.chunking_params()

    answers: list[tilqa.Answer] = []

    def rebuilt_with_own_settings(answer: tilqa.Answer) -> bool:
        answers.append(answer)
        return load_index(tmp_path / "index").manifest["chunking"] == assistant.settings.chunking_params()

    ask_until(assistant, question, rebuilt_with_own_settings, 10 * RELOAD_CHECK_SECONDS)
    assert load_index(tmp_path / "index").manifest["chunking"] == assistant.settings.chunking_params()
    # Every answer given meanwhile, and after, came from an index of its own settings.
    answers.append(assistant.ask(question))
    assert all(both in a.citations[0].text for a in answers), [a.citations[0].text for a in answers]
