"""Retrieval quality of tilqa's own pipeline on BEIR SciFact (test split, 300 claims).

Indexes the 5,183 SciFact abstracts exactly as a user's corpus would be (one text file per
abstract: title, a blank line, the abstract; Punkt sentences, 3-sentence passages, MiniLM
embeddings, FAISS, bm25s), ranks documents by their best passage with `tilqa.retrieval.Retriever`
in the "bm25", "dense" and "hybrid" modes (and several fusion settings), and prints nDCG@10 and
Recall@100 over documents beside the published BM25 and all-MiniLM-L6-v2 figures. Two reference
rows computed here, not by the library, help read them: BM25 (tilqa's tokenizer) over whole
documents, and dense over passage vectors alone (without the library's per-sentence maximum).

The index is cached in --workdir and reused when the corpus and settings are unchanged (building
it embeds ~77k passages and sentences: about 20 minutes on 2 cores). A --titles variant without an
index of its own starts from a copy of the other's, so only the texts that differ are embedded.

    .venv/bin/python benchmarks/beir.py [--data DIR] [--workdir DIR] [--candidates N]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import math
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from common import REPO, code_state, log, read_jsonl, sync_corpus


DEFAULT_DATA = REPO.parent / "shared" / "bench" / "scifact"
DEFAULT_WORKDIR = Path(tempfile.gettempdir()) / "tilqa-bench-scifact"

# (label, nDCG@10, R@100) from the dataset's SOURCE.md.
PUBLISHED = [
    ("published: BM25, Elasticsearch (BEIR paper)", 0.665, None),
    ("published: BM25 flat, Anserini", 0.6789, 0.9253),
    ("published: BM25 multifield, Anserini", 0.6647, 0.9076),
    ("published: all-MiniLM-L6-v2 dense (MTEB)", 0.64508, 0.925),
]


# ---------------------------------------------------------------------------------------------
# Data


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Relevant document ids per query (binary: any score above 0)."""
    qrels: dict[str, set[str]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.reader(handle, delimiter="\t")
        next(rows)  # header
        for query_id, doc_id, score in rows:
            if int(score) > 0:
                qrels.setdefault(query_id, set()).add(doc_id)
    return qrels


def document_text(doc: dict, titles: str) -> str:
    """The corpus file of one abstract: title line, blank line, abstract."""
    title = doc["title"].strip()
    if titles == "as-sentence" and title and not title.endswith((".", "?", "!")):
        title += "."
    return f"{title}\n\n{doc['text'].strip()}\n"


def write_corpus(docs: list[dict], corpus_dir: Path, titles: str) -> int:
    """One `<id>.txt` per document; returns how many files were written."""
    return sync_corpus(corpus_dir, {f"{doc['_id']}.txt": document_text(doc, titles) for doc in docs})


# ---------------------------------------------------------------------------------------------
# Measures


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    """nDCG@k with binary gains, log2 discount (as pytrec_eval / BEIR / MTEB)."""
    dcg = sum(1.0 / math.log2(i + 2) for i, doc in enumerate(ranked[:k]) if doc in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def documents_in_order(passage_rows, sources: list[str]) -> list[str]:
    """Document ids ranked by their best passage: the order in which they first appear."""
    seen: dict[str, None] = {}
    for row in passage_rows:
        seen.setdefault(sources[row], None)
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Figures go to stdout, progress to stderr.",
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA,
                        help=f"BEIR SciFact folder (default: {DEFAULT_DATA})")
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where the corpus files and the index are kept between runs (default: {DEFAULT_WORKDIR})")
    parser.add_argument("--candidates", type=int, default=1000,
                        help="passages each retriever proposes and passages ranked per query (default 1000)")
    parser.add_argument("--dense-weights", default="0.3,0.5,0.7,0.8",
                        help="dense_weight values to try for hybrid fusion (default 0.3,0.5,0.7,0.8)")
    parser.add_argument("--titles", choices=("as-given", "as-sentence"), default="as-given",
                        help="write titles as given (default), or end each with a period so that "
                             "chunking cannot take it for a heading; each has its own index in --workdir")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N test queries (0: all)")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index even if the cached one is fresh")
    args = parser.parse_args(argv)
    if args.candidates < 100:
        parser.error("--candidates must be at least 100 so that Recall@100 over documents is defined")
    try:
        args.dense_weights = [float(w) for w in args.dense_weights.split(",") if w.strip()]
    except ValueError:
        parser.error("--dense-weights must be numbers separated by commas, e.g. 0.3,0.5,0.7")
    if not all(0.0 <= w <= 1.0 for w in args.dense_weights):
        parser.error("--dense-weights must be between 0 and 1")
    for name in ("corpus.jsonl", "queries.jsonl", "qrels/test.tsv"):
        if not (args.data / name).is_file():
            parser.error(f"{args.data / name} not found; point --data at the BEIR SciFact folder")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    state = code_state()  # before the import: the code that is loaded
    from tilqa.config import Settings
    from tilqa.encoders import Embedder
    from tilqa.index import load_index
    from tilqa.indexing import refresh_index
    from tilqa.lexical import LexicalIndex
    from tilqa.retrieval import Retriever

    docs = read_jsonl(args.data / "corpus.jsonl")
    queries = {q["_id"]: q["text"] for q in read_jsonl(args.data / "queries.jsonl")}
    qrels = read_qrels(args.data / "qrels" / "test.tsv")
    test_ids = [q for q in qrels if q in queries]
    if args.limit:
        test_ids = test_ids[: args.limit]

    base = args.workdir / args.titles
    written = write_corpus(docs, base / "corpus", args.titles)
    if not (base / "index").exists():
        for other in ("as-given", "as-sentence"):
            if other != args.titles and (args.workdir / other / "index" / "CURRENT").is_file():
                log(f"seeding the index from {args.workdir / other / 'index'} (its embeddings are reused)")
                shutil.copytree(args.workdir / other / "index", base / "index")
                break
    # Settings() directly: only the defaults, not TILQA_* variables of whoever runs this. Retrieval
    # only: answer sentences are not scored, so the index needs no token vectors (which for SciFact's
    # 51,000 sentences would take about 1.4 GB).
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index", sentence_scoring="hybrid")
    embedder = Embedder(settings.model, settings.batch_size)
    log(f"corpus: {len(docs)} documents in {base / 'corpus'} ({written} written); building index "
        f"(a first build embeds every passage and sentence: about 20 minutes on 2 cores)")
    report = refresh_index(settings, embedder, force=args.rebuild)
    data = load_index(settings.index_dir)
    sources = [p.source.removesuffix(".txt") for p in data.passages]
    titled = {p.source for p in data.passages if p.start == 0}

    started = time.perf_counter()
    vectors = embedder.encode([queries[q] for q in test_ids], show_progress=False)
    encode_seconds = time.perf_counter() - started

    n = args.candidates
    configs: list[tuple[str, dict, int]] = [
        ("bm25", {"retrieval": "bm25"}, n),
        ("dense", {"retrieval": "dense"}, n),
    ]
    for w in args.dense_weights:
        configs.append((f"hybrid weighted dense_weight={w:g}", {"retrieval": "hybrid", "fusion": "weighted", "dense_weight": w}, n))
    for w in args.dense_weights:
        configs.append((f"hybrid rrf dense_weight={w:g}", {"retrieval": "hybrid", "fusion": "rrf", "dense_weight": w}, n))
    # What Assistant.ask ranks with the library defaults: candidates=20, 20 passages ranked.
    defaults = Settings()
    configs.append(
        (f"hybrid {defaults.fusion} dense_weight={defaults.dense_weight:g}, candidates={defaults.candidates} (library default)",
         {"retrieval": defaults.retrieval, "fusion": defaults.fusion, "dense_weight": defaults.dense_weight,
          "candidates": defaults.candidates}, defaults.candidates)
    )

    retriever = Retriever(data, settings)  # BM25 index built once; settings swapped per configuration
    results: list[tuple[str, float, float | None, list[float], float]] = []
    fewest_documents = {}
    for label, overrides, limit in configs:
        overrides = {"candidates": n, **overrides}
        retriever.settings = dataclasses.replace(settings, **overrides)
        started = time.perf_counter()
        ndcgs, recalls, counts = [], [], []
        for query_id, vector in zip(test_ids, vectors):
            hits = retriever.search(queries[query_id], vector, limit)
            ranked = documents_in_order((h.passage for h in hits), sources)
            counts.append(len(ranked))
            ndcgs.append(ndcg_at(ranked, qrels[query_id]))
            recalls.append(recall_at(ranked, qrels[query_id]))
        per_query_ms = (time.perf_counter() - started) * 1000 / len(test_ids)
        recall = statistics.fmean(recalls) if limit >= n else None
        results.append((label, statistics.fmean(ndcgs), recall, ndcgs, per_query_ms))
        fewest_documents[label] = min(counts)
        log(f"{label}: nDCG@10 {statistics.fmean(ndcgs):.4f}")

    # References computed here, not by the library.
    references: list[tuple[str, float, float]] = []
    log("references: dense over passage vectors only; BM25 over whole documents")
    ndcgs, recalls = [], []
    _, rows = data.passage_vectors.search(vectors, n)
    for query_id, passage_rows in zip(test_ids, rows):
        ranked = documents_in_order((int(r) for r in passage_rows if r >= 0), sources)
        ndcgs.append(ndcg_at(ranked, qrels[query_id]))
        recalls.append(recall_at(ranked, qrels[query_id]))
    references.append(("ref: dense, passage vectors only (no sentence max)", statistics.fmean(ndcgs), statistics.fmean(recalls)))
    whole = LexicalIndex([f"{d['title']}\n{d['text']}" for d in docs])
    doc_ids = [d["_id"] for d in docs]
    ndcgs, recalls = [], []
    for query_id in test_ids:
        scores = whole.scores(queries[query_id])
        ranked = [doc_ids[i] for i in np.argsort(-scores, kind="stable")[:100]]
        ndcgs.append(ndcg_at(ranked, qrels[query_id]))
        recalls.append(recall_at(ranked, qrels[query_id]))
    references.append(("ref: bm25 over whole documents (title + abstract)", statistics.fmean(ndcgs), statistics.fmean(recalls)))

    print(f"BEIR SciFact test: {len(test_ids)} queries, {len(docs)} documents, data {args.data}")
    print(state)
    print(f"index: {report.summary()}")
    print(f"  {len(data.passages)} passages, {len(data.sentences)} sentences; "
          f"titles indexed for {len(titled)} of {len(docs)} documents (--titles {args.titles})")
    print(f"  documents ranked by their best passage; {n} passages ranked per query "
          f"(fewest distinct documents for a query: {min(v for k, v in fewest_documents.items() if 'default' not in k)})")
    print(f"  query embedding: {encode_seconds * 1000 / len(test_ids):.1f} ms per query")
    print()
    width = max(len(r[0]) + 6 for r in results + [(p[0],) for p in PUBLISHED + references]) + 2
    print(f"{'method':<{width}}{'nDCG@10':>9}{'R@100':>9}{'ms/query':>10}")
    print("-" * (width + 28))
    for label, ndcg, recall, _, ms in results:
        r = f"{recall:.4f}" if recall is not None else "-"
        print(f"{'tilqa ' + label:<{width}}{ndcg:>9.4f}{r:>9}{ms:>10.1f}")
    print("-" * (width + 28))
    for label, ndcg, recall in references:
        print(f"{label:<{width}}{ndcg:>9.4f}{recall:>9.4f}")
    print("-" * (width + 28))
    for label, ndcg, recall in PUBLISHED:
        r = f"{recall:.4f}" if recall is not None else "-"
        print(f"{label:<{width}}{ndcg:>9.4f}{r:>9}")
    print("(the library-default row ranks only 20 passages, as Assistant.ask does, so it has no R@100)")

    by_label = {r[0]: r for r in results}
    bm25, dense = by_label["bm25"], by_label["dense"]
    best_part = max(bm25, dense, key=lambda r: r[1])
    hybrids = [r for r in results if r[0].startswith("hybrid")]
    default = next(r for r in hybrids if "library default" in r[0])
    best = max(hybrids, key=lambda r: r[1])
    print()
    print(f"best single retriever: {best_part[0]} nDCG@10 {best_part[1]:.4f}")
    print(f"library default hybrid: nDCG@10 {default[1]:.4f} "
          f"({'beats' if default[1] > best_part[1] else 'does NOT beat'} both parts)")
    print(f"best hybrid setting: {best[0]} nDCG@10 {best[1]:.4f} "
          f"({'beats' if best[1] > best_part[1] else 'does NOT beat'} both parts)")
    for other in (bm25, dense):
        wins = sum(a > b for a, b in zip(best[3], other[3]))
        losses = sum(a < b for a, b in zip(best[3], other[3]))
        print(f"  per query, best hybrid vs {other[0]}: better on {wins}, worse on {losses}, "
              f"tied on {len(test_ids) - wins - losses} (nDCG@10)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
