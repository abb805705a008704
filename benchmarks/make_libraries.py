"""Writes the evaluation libraries of issue 36 into `eval/libraries/` from public data.

- `pubmed/`: 300 PubMedQA abstracts (MIT; the first 300 PMIDs of its official test split, in
  file order) as structured Markdown, a title, a dateline with the PMID and year, one heading a
  section and the conclusion, beside the shipped Iovance report. Abstracts outside these 300 are
  free for fitting.
- `postgres/`: 40 pages of the PostgreSQL 15 documentation (PostgreSQL Licence) about operations:
  WAL, replication, standbys, vacuum, backups, upgrades and their settings, as Debian's
  `postgresql-doc-15` installs them (`apt-get install postgresql-doc-15`).

    .venv/bin/python benchmarks/make_libraries.py [--shared ../shared]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from common import REPO

PUBMED_DOCUMENTS = 300
POSTGRES_HTML = Path("/usr/share/doc/postgresql-doc-15/html")
POSTGRES_PAGES = (
    "wal-intro", "wal-reliability", "wal-async-commit", "wal-configuration", "wal-internals",
    "continuous-archiving", "backup-dump", "backup-file", "high-availability",
    "different-replication-solutions", "warm-standby", "warm-standby-failover", "hot-standby",
    "logical-replication", "logical-replication-publication", "logical-replication-subscription",
    "logical-replication-conflicts", "logical-replication-restrictions",
    "logical-replication-architecture", "logical-replication-monitoring",
    "logical-replication-security", "logical-replication-config", "logical-replication-quick-setup",
    "routine-vacuuming", "routine-reindex", "logfile-maintenance", "upgrading", "pgupgrade",
    "runtime-config-wal", "runtime-config-replication", "runtime-config-autovacuum",
    "runtime-config-resource", "runtime-config-connection", "runtime-config-logging",
    "runtime-config-query", "runtime-config-statistics", "runtime-config-locks",
    "checksums", "disk-full", "monitoring-stats",
)


def _heading(label: str) -> str:
    return label.capitalize() if label.isupper() else label


def write_pubmed(shared: Path, out: Path) -> int:
    source = shared / "bench" / "pubmedqa"
    items = json.loads((source / "ori_pqal.json").read_text("utf-8"))
    test_ids = list(json.loads((source / "test_ground_truth.json").read_text("utf-8")))
    chosen = test_ids[:PUBMED_DOCUMENTS]
    corpus = out / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for pmid in chosen:
        item = items[pmid]
        parts = [f"# {item['QUESTION']}", f"PubMed {pmid}, {item['YEAR']}"]
        for label, text in zip(item["LABELS"], item["CONTEXTS"]):
            parts += [f"## {_heading(label)}", text]
        parts += ["## Conclusions", item["LONG_ANSWER"]]
        (corpus / f"pmid-{pmid}.md").write_text("\n\n".join(parts) + "\n", "utf-8")
    shutil.copy(REPO / "corpus" / "iovance-rd-focus.txt", corpus)
    shutil.copy(source / "LICENSE", out / "LICENSE-pubmedqa")
    return len(chosen) + 1


def write_postgres(out: Path) -> int:
    corpus = out / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    corpus.mkdir(parents=True)
    for page in POSTGRES_PAGES:
        shutil.copy(POSTGRES_HTML / f"{page}.html", corpus / f"{page}.html")
    shutil.copy(POSTGRES_HTML.parent / "copyright", out / "COPYRIGHT-postgresql")
    return len(POSTGRES_PAGES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    root = REPO / "eval" / "libraries"
    print("pubmed:", write_pubmed(args.shared, root / "pubmed"), "documents")
    print("postgres:", write_postgres(root / "postgres"), "documents")


if __name__ == "__main__":
    main()
