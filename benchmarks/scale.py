"""tilqa at library scale, one table from one run.

Build side, for the first N abstracts of BEIR SciFact (one .txt file each: title, then abstract),
built as a user builds them (`tilqa build`, a fresh process), with the ONNX Runtime encoder (the
default) and with torch:
- build seconds, and texts embedded a second against one pass of the same encoder over the same
  texts (the passages, sentences and headings the build embeds, one `encode_with_tokens` call,
  model load excluded): the target is at least 0.9;
- peak RSS of the build process; bytes on disk a sentence (the whole build folder);
- warm question p50/p95 (100 SciFact queries asked of one loaded `Assistant`), and cold start
  (`tilqa ask` in a fresh process, median of 3);
- editing one file and rebuilding, against the full build (target: at most 5 %).

Query side, for 10k, 100k and 1M passages: nobody has time to embed a million passages here, so a
synthetic corpus is built through the same build code from copies of the SciFact abstracts
(every sentence tagged with its copy number, so every text differs), whose vectors are the real
vectors of the original text plus small Gaussian noise (cosine about 0.97 with the original),
from an encoder that looks them up in the real SciFact index (`NoisyCopies`); questions are
embedded for real. These indexes use `sentence_scoring=hybrid` (no token vectors: the token
vectors of 2M sentences would come from the same lookup and cost only disk) at every size, so
the sizes compare like with like. Reported: build seconds and peak RSS, open seconds
(`load_index`), RSS after opening, the first question of a new `Assistant` (opening the index,
checking the corpus, loading the encoder), question p50/p95, and the search indexes' recall@10
against exact search (as measured at build time on sums of three of the index's vectors, and on
the real questions).
Targets: p50 at 1M at most 2x p50 at 10k; recall@10 at least 0.98.

    .venv/bin/python benchmarks/scale.py [--docs 1000 5183] [--backends onnx torch]
        [--passages 10000 100000 1000000] [--work /tmp/tilqa-scale] [--skip-build-side] [--skip-query-side]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from common import REPO, code_state, log, read_jsonl

DATA = REPO.parent / "shared" / "bench" / "scifact"
PYTHON = sys.executable
QUESTIONS = 100
NOISE = 0.0128  # per dimension: |noise| = 0.25 for 384 dimensions, cosine with the original ~0.97
TAG = re.compile(r"C\d+: ")


# ---------------------------------------------------------------------------------------------
# Helpers run in this process


def scifact(docs: int) -> dict[str, str]:
    """{file name: title, blank line, abstract} of the first `docs` SciFact documents."""
    out = {}
    for record in read_jsonl(DATA / "corpus.jsonl")[:docs]:
        out[f"{record['_id']}.txt"] = f"{record['title']}\n\n{record['text']}\n"
    return out


def write_corpus(folder: Path, files: dict[str, str]) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text, "utf-8")


def child(args: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run a command; its wall seconds, its peak RSS in MiB, and its stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(list(args), stdout=subprocess.PIPE, env={**os.environ, **(env or {})}, text=True)
    assert process.stdout is not None
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({status})")
    return seconds, usage.ru_maxrss / 1024, out


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def live_build(index: Path) -> Path:
    return index / "builds" / (index / "CURRENT").read_text().strip()


def env_for(corpus: Path, index: Path, backend: str, scoring: str = "tokens") -> dict[str, str]:
    return {"TILQA_CORPUS_DIR": str(corpus), "TILQA_INDEX_DIR": str(index), "TILQA_BACKEND": backend,
            "TILQA_SENTENCE_SCORING": scoring}


def me(*args: str) -> list[str]:
    return [PYTHON, str(Path(__file__).resolve()), *args]


# ---------------------------------------------------------------------------------------------
# Build side


def build_side(work: Path, docs: int, backend: str) -> dict[str, Any]:
    corpus, index = work / f"scifact-{docs}", work / f"scifact-{docs}-{backend}-index"
    write_corpus(corpus, scifact(docs))
    shutil.rmtree(index, ignore_errors=True)
    env = env_for(corpus, index, backend)
    log(f"{docs} docs, {backend}: full build")
    seconds, rss, out = child([PYTHON, "-m", "tilqa", "build", "--json"], env)
    report = json.loads(out)
    log(f"  {seconds:.1f} s, {rss:.0f} MiB, {report['embedded']} texts embedded")
    log(f"{docs} docs, {backend}: one encoder pass over the same texts")
    _, _, out = child(me("_encode"), env)
    encode = json.loads(out)
    build = live_build(index)
    size = folder_bytes(build)
    tokens = folder_bytes(build / "tokens") + sum(p.stat().st_size for p in build.glob("token_*.npy"))
    log(f"{docs} docs, {backend}: warm questions")
    _, _, out = child(me("_warm", "--questions", str(QUESTIONS)), env)
    warm = json.loads(out)
    log(f"{docs} docs, {backend}: cold start")
    question = read_jsonl(DATA / "queries.jsonl")[0]["text"]
    cold = statistics.median(child([PYTHON, "-m", "tilqa", "ask", question], env)[0] for _ in range(3))
    log(f"{docs} docs, {backend}: edit one file, rebuild")
    edited = sorted(corpus.glob("*.txt"))[len(list(corpus.glob("*.txt"))) // 2]
    edited.write_text(edited.read_text("utf-8") + "\nThis sentence was added to measure a rebuild.\n", "utf-8")
    edit_seconds, edit_rss, out = child([PYTHON, "-m", "tilqa", "build", "--json"], env)
    edit = json.loads(out)
    return {
        "docs": docs, "backend": backend, "build_s": seconds, "rss_mib": rss, "embedded": report["embedded"],
        "passages": report["passages"], "sentences": report["sentences"],
        "encode_texts": encode["texts"], "encode_s": encode["seconds"],
        "bytes_a_sentence": size / report["sentences"], "token_bytes_a_sentence": tokens / report["sentences"],
        "p50_ms": warm["p50_ms"], "p95_ms": warm["p95_ms"], "cold_s": cold,
        "edit_s": edit_seconds, "edit_embedded": edit["embedded"], "edit_rss_mib": edit_rss,
    }


def encode_pass() -> None:
    """(child) One encoder pass over the texts the build embedded, model load excluded."""
    import tilqa
    from tilqa.index import own_heading, passage_embedding_text

    assistant = tilqa.Assistant()
    data = assistant.index
    texts = [passage_embedding_text(p.section, p.text) for p in data.passages]
    texts += [s.text for s in data.sentences]
    texts += list(dict.fromkeys(h for h in (own_heading(data.sentences.section(i)) for i in range(len(data.sentences))) if h))
    encoder = assistant.embedder
    encoder.encode_with_tokens(texts[:64], show_progress=False)  # loads the model
    started = time.perf_counter()
    encoder.encode_with_tokens(texts, show_progress=False)
    print(json.dumps({"texts": len(texts), "seconds": time.perf_counter() - started}))


def warm_questions(count: int) -> None:
    """(child) Question latency of a loaded Assistant, after one question to warm it."""
    import tilqa

    questions = [q["text"] for q in read_jsonl(DATA / "queries.jsonl")[: count + 1]]
    assistant = tilqa.Assistant()
    assistant.ask(questions[0])
    times = []
    for q in questions[1:]:
        started = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps({"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}))


# ---------------------------------------------------------------------------------------------
# Query side


class NoisyCopies:
    """An Encoder for the synthetic corpus: a text made of tagged copies of SciFact text gets the
    real vector of the untagged text plus seeded Gaussian noise; any other text (a question) is
    embedded by the real encoder."""

    def __init__(self, known: dict[str, np.ndarray], real: Any) -> None:
        self.known = known
        self.fallback = list(known.values())
        self.misses = 0
        self.real = real
        self.model_name = real.model_name
        self.dimension = real.dimension

    def _vector(self, text: str) -> np.ndarray | None:
        """None for text that is no copy (a question); a copy whose untagged text the real
        index lacks (chunked otherwise) gets the vector of a known text chosen by its hash."""
        if TAG.search(text) is None:
            return None
        seed = int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")
        base = self.known.get(TAG.sub("", text))
        if base is None:
            self.misses += 1
            base = self.fallback[seed % len(self.fallback)]
        v = base + np.random.default_rng(seed).normal(0.0, NOISE, size=base.shape).astype(np.float32)
        return v / np.linalg.norm(v)

    def encode(self, texts: Sequence[str], show_progress: bool | None = None) -> np.ndarray:
        out = [self._vector(t) for t in texts]
        unknown = [i for i, v in enumerate(out) if v is None]
        if unknown:
            for i, v in zip(unknown, self.real.encode([texts[i] for i in unknown], show_progress=False)):
                out[i] = v
        return np.stack(out).astype(np.float32)

    def encode_with_tokens(self, texts: Sequence[str], show_progress: bool | None = None):  # noqa: ANN201
        raise NotImplementedError("the synthetic indexes are built without token vectors")

    def token_strings(self, ids: Sequence[int]) -> list[str]:
        return self.real.token_strings(ids)


def known_vectors(source_index: Path, corpus: Path) -> dict[str, np.ndarray]:
    """{embedded text: vector} of every passage and sentence of the real SciFact index."""
    import tilqa
    from tilqa.index import passage_embedding_text

    data = tilqa.Assistant(corpus_dir=corpus, index_dir=source_index).index
    passages = np.asarray(data.passage_vectors.vectors)
    known = {passage_embedding_text(p.section, p.text): passages[i] for i, p in enumerate(data.passages)}
    known.update((s.text, np.asarray(data.sentence_vectors[i])) for i, s in enumerate(data.sentences))
    return known


def synthetic_corpus(folder: Path, documents: dict[str, str], copies: int) -> None:
    """`copies` copies of every document, each sentence of copy c opening with "C<c>: "."""
    from tilqa.chunking import sentence_spans

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    split = {}
    for name, text in documents.items():
        split[name] = [(a, b) for a, b in sentence_spans(text)]
    for c in range(copies):
        sub = folder / f"copy{c:03d}"
        sub.mkdir()
        tag = f"C{c}: "
        for name, text in documents.items():
            out, last = [], 0
            for a, _ in split[name]:
                out.append(text[last:a])
                out.append(tag)
                last = a
            out.append(text[last:])
            (sub / name).write_text("".join(out), "utf-8")


def synthetic_build(source_index: str, source_corpus: str) -> None:
    """(child) Build the synthetic index of TILQA_CORPUS_DIR with NoisyCopies."""
    import tilqa
    from tilqa.encoders import make_encoder
    from tilqa.indexing import refresh_index

    settings = tilqa.Settings.load()
    encoder = NoisyCopies(known_vectors(Path(source_index), Path(source_corpus)), make_encoder(settings))
    report = refresh_index(settings, encoder, show_progress=False)
    print(json.dumps({**report.to_dict(), "texts_not_found": encoder.misses}))


def query_side_child(count: int) -> None:
    """(child) Open the synthetic index, then ask real questions; recall of its search indexes."""
    import resource

    import tilqa
    from tilqa.index import load_index
    from tilqa.index.vectors import exact_neighbours, recall_at_k

    settings = tilqa.Settings.load()
    started = time.perf_counter()
    data = load_index(settings.index_dir)
    open_s = time.perf_counter() - started
    rss_open = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    questions = [q["text"] for q in read_jsonl(DATA / "queries.jsonl")[: count + 1]]
    assistant = tilqa.Assistant(settings=settings)
    started = time.perf_counter()
    assistant.ask(questions[0])
    first_s = time.perf_counter() - started
    times = []
    for q in questions[1:]:
        started = time.perf_counter()
        assistant.ask(q)
        times.append((time.perf_counter() - started) * 1000)
    vectors = assistant.embedder.encode(questions[1:], show_progress=False)
    recall = [recall_at_k(search, vectors, exact_neighbours(search.vectors, vectors, 10))
              for search in (data.passage_vectors, data.sentence_search) if search is not None]
    print(json.dumps({
        "open_s": open_s, "rss_open_mib": rss_open, "first_question_s": first_s,
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95)),
        "questions_recall_at_10": recall, "vector_index": data.manifest["vector_index"],
        "passages": len(data.passages), "sentences": len(data.sentences),
    }))


def query_side(work: Path, target: int, source_docs: int, source_corpus: Path, source_index: Path, passages_a_doc: float) -> dict[str, Any]:
    copies = max(1, round(target / (passages_a_doc * source_docs)))
    corpus, index = work / f"synthetic-{target}", work / f"synthetic-{target}-index"
    log(f"{target} passages: {copies} copies of {source_docs} documents")
    synthetic_corpus(corpus, scifact(source_docs), copies)
    shutil.rmtree(index, ignore_errors=True)
    env = env_for(corpus, index, "onnx", "hybrid")
    seconds, rss, out = child(me("_synthetic_build", str(source_index), str(source_corpus)), env)
    report = json.loads(out)
    log(f"  built in {seconds:.0f} s, {rss:.0f} MiB: {report['passages']} passages")
    _, rss_total, out = child(me("_query", "--questions", str(QUESTIONS)), env)
    result = json.loads(out)
    shutil.rmtree(corpus, ignore_errors=True)
    return {"target": target, "build_s": seconds, "build_rss_mib": rss, **result, "index_bytes": folder_bytes(live_build(index))}


def query_sides(args: argparse.Namespace) -> list[dict[str, Any]]:
    source_docs = max(args.docs)
    source_corpus = args.work / f"scifact-{source_docs}"
    source_index = args.work / f"scifact-{source_docs}-onnx-index"
    if not (source_index / "CURRENT").exists():
        write_corpus(source_corpus, scifact(source_docs))
        child([PYTHON, "-m", "tilqa", "build", "--json"], env_for(source_corpus, source_index, "onnx"))
    manifest = json.loads((live_build(source_index) / "manifest.json").read_text())
    passages_a_doc = manifest["passages"] / manifest["files_indexed"]
    rows = []
    for target in args.passages:
        rows.append(query_side(args.work, target, source_docs, source_corpus, source_index, passages_a_doc))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    return rows


# ---------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, nargs="*", default=[1000, 5183])
    parser.add_argument("--backends", nargs="*", default=["onnx", "torch"])
    parser.add_argument("--passages", type=int, nargs="*", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--work", type=Path, default=Path("/tmp/tilqa-scale"))
    parser.add_argument("--skip-build-side", action="store_true")
    parser.add_argument("--skip-query-side", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    # The largest SciFact build with ONNX first: the query side takes its vectors.
    jobs = [] if args.skip_build_side else [(d, b) for d in sorted(args.docs, reverse=True) for b in args.backends]
    jobs.sort(key=lambda job: (job != (max(args.docs), "onnx")))
    build_rows = []
    query_rows = []
    for number, (docs, backend) in enumerate(jobs):
        build_rows.append(build_side(args.work, docs, backend))
        print(json.dumps(build_rows[-1]), file=sys.stderr, flush=True)
        if number == 0 and not args.skip_query_side:
            query_rows = query_sides(args)
    if not jobs and not args.skip_query_side:
        query_rows = query_sides(args)
    print(code_state())
    if build_rows:
        print()
        print("| SciFact docs | encoder | build s | texts embedded | texts/s | one encoder pass, texts/s | ratio | peak RSS MiB | bytes a sentence (tokens) | question p50 / p95 ms | cold start s | edit one file s (share of build) |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in build_rows:
            rate = r["embedded"] / r["build_s"]
            encoder_rate = r["encode_texts"] / r["encode_s"]
            print(
                f"| {r['docs']:,} | {r['backend']} | {r['build_s']:.0f} | {r['embedded']:,} | {rate:.1f} | {encoder_rate:.1f} | "
                f"{rate / encoder_rate:.2f} | {r['rss_mib']:,.0f} | {r['bytes_a_sentence']:,.0f} ({r['token_bytes_a_sentence']:,.0f}) | "
                f"{r['p50_ms']:.0f} / {r['p95_ms']:.0f} | {r['cold_s']:.1f} | {r['edit_s']:.1f} ({r['edit_s'] / r['build_s']:.1%}) |"
            )
    if query_rows:
        print()
        print("| passages | sentences | build s | build peak RSS MiB | open s | RSS after open MiB | first question s | question p50 / p95 ms | search (passages; sentences) | recall@10 at build | recall@10, real questions | index GB |")
        print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
        for r in query_rows:
            vi = r["vector_index"]
            kinds = "; ".join(
                f"{v['kind']}" + (f" {v['lists']} lists, nprobe {v['nprobe']}" if v["kind"] == "ivf" else "") for v in (vi["passages"], vi["sentences"])
            )
            at_build = " / ".join(f"{v['recall_at_10']:.3f}" for v in (vi["passages"], vi["sentences"]) if "recall_at_10" in v) or "exact"
            print(
                f"| {r['passages']:,} | {r['sentences']:,} | {r['build_s']:.0f} | {r['build_rss_mib']:,.0f} | {r['open_s']:.2f} | "
                f"{r['rss_open_mib']:,.0f} | {r['first_question_s']:.1f} | {r['p50_ms']:.0f} / {r['p95_ms']:.0f} | {kinds} | {at_build} | "
                f"{' / '.join(f'{x:.3f}' for x in r['questions_recall_at_10'])} | {r['index_bytes'] / 1e9:.2f} |"
            )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        sys.path.insert(0, str(REPO / "benchmarks"))
        mode, rest = sys.argv[1], sys.argv[2:]
        if mode == "_encode":
            encode_pass()
        elif mode == "_warm":
            warm_questions(int(rest[1]))
        elif mode == "_synthetic_build":
            synthetic_build(rest[0], rest[1])
        elif mode == "_query":
            query_side_child(int(rest[1]))
        sys.exit(0)
    sys.exit(main())
