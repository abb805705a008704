"""The `tilqa` command: build, ask, eval and serve, each a thin layer over the library."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path
from typing import Iterator, Sequence

from ._version import __version__
from .assistant import Assistant
from .config import Settings
from .encoders import Encoder
from .errors import QuestionError, TilqaError
from .results import Answer

log = logging.getLogger(__name__)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _port(text: str) -> int:
    value = _positive_int(text)
    if value > 65535:
        raise argparse.ArgumentTypeError(f"a port is at most 65535, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--corpus", type=Path, help="corpus folder (default: corpus/, or TILQA_CORPUS_DIR)")
    common.add_argument("--index", type=Path, help="index folder (default: index/, or TILQA_INDEX_DIR)")
    common.add_argument("--model", help="sentence-transformers model name or path (default: all-MiniLM-L6-v2, bundled)")
    common.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")

    parser = argparse.ArgumentParser(prog="tilqa", description="Extractive, cited answers from a folder of documents.")
    parser.add_argument("--version", action="version", version=f"tilqa {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", parents=[common], help="build or refresh the index")
    build.add_argument("--force", action="store_true", help="rebuild even when the index is up to date")
    build.add_argument("--json", action="store_true", help="print the build report as JSON")
    build.add_argument(
        "--ray",
        metavar="ADDRESS",
        help="embed on a Ray cluster: its head's HOST:PORT, or auto for the one running here "
        "(or TILQA_RAY_ADDRESS); needs tilqa[ray]",
    )

    ask = commands.add_parser("ask", parents=[common], help="answer one question")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--top-k", type=_positive_int, default=3, help="citations to return (default 3)")
    ask.add_argument("--json", action="store_true", help="print Answer.to_dict() as JSON")

    chat = commands.add_parser("chat", parents=[common], help="a conversation in the terminal (Ctrl-D leaves)")
    chat.add_argument("--top-k", type=_positive_int, default=3, help="citations per answer (default 3)")

    evaluate = commands.add_parser("eval", parents=[common], help="measure answers on a question file")
    evaluate.add_argument("file", type=Path, help="questions, one JSON object a line (see eval/dev.jsonl)")
    evaluate.add_argument("--top-k", type=_positive_int, default=3, help="citations per answer (default 3)")
    evaluate.add_argument("--json", action="store_true", help="print the measures as JSON")
    evaluate.add_argument("--show-misses", action="store_true", help="list every question answered wrongly")

    serve = commands.add_parser("serve", parents=[common], help="start the web chat")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    serve.add_argument("--port", type=_port, default=7860, help="port (default 7860)")
    serve.add_argument(
        "--auth",
        help="require a login, as USER:PASSWORD (or set TILQA_AUTH); recommended with a non-local --host",
    )
    serve.add_argument("--watch", action="store_true", help="rebuild and reload when the corpus folder changes")
    return parser


def _print_answer(answer: Answer) -> None:
    for note in answer.notes:
        print(f"note: {note}")
    if answer.found:
        print(answer.answer)
    else:
        print("Not found in the corpus. The closest passages are:")
    for other in answer.alternatives:
        print(f"Other documents differ: {other.marked} ({other.where})")
    print(f"(confidence {answer.confidence:.2f})\n")
    for number, c in enumerate(answer.citations, 1):
        print(f"[{number}] {c.where}  chars {c.start}-{c.end}  score {c.score:.3f}")
        if c.section:
            print(f"    {c.section}")
        print(f"    {c.text}")


def _chat(assistant: Assistant, top_k: int, lines: Iterator[str] | None = None) -> None:
    """A conversation: each question is asked with the answers before it, so a follow-up ("why?",
    "when did it start?") is understood from them. An empty line is skipped; end of input leaves."""
    history: list[Answer] = []
    interactive = lines is None and sys.stdin.isatty()
    if interactive:
        print("Ask about the corpus; follow-up questions are understood from the conversation. Ctrl-D leaves.")

    def read() -> Iterator[str]:
        while True:
            try:
                yield input("> " if interactive else "")
            except EOFError:
                return

    for line in lines if lines is not None else read():
        if not line.strip():
            continue
        try:
            answer = assistant.ask(line, top_k, history=history)
        except QuestionError as exc:
            print(f"tilqa: {exc}")
            continue
        if answer.understood_as != answer.question:
            print(f"(understood as: {answer.understood_as})")
        _print_answer(answer)
        print()
        history.append(answer)
    if interactive:
        print()


def _embedder(command: str, settings: Settings) -> Encoder | None:
    """A RayEncoder when a build is to be embedded on a Ray cluster; None embeds here."""
    if command != "build" or not settings.ray_address:
        return None
    from .encoders.ray import RayEncoder

    return RayEncoder(settings.model, settings.ray_address, settings.batch_size)


def _log_corpus(settings: Settings, chosen: bool) -> None:
    """Say which corpus the command uses; warn when, not chosen, it is not the current folder's
    `corpus/` (tilqa's own checkout's, with an editable install)."""
    corpus = settings.corpus_dir.resolve()
    here = Path.cwd().resolve() / "corpus"
    if not chosen and corpus != here:
        log.warning("no corpus/ in %s: using %s (pass --corpus or set TILQA_CORPUS_DIR)", Path.cwd(), corpus)
    else:
        log.info("corpus %s, index %s", corpus, settings.index_dir.resolve())


def run(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    env = dict(os.environ if environ is None else environ)
    level = [logging.WARNING, logging.INFO, logging.DEBUG][min(args.verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    if args.command == "serve" and level > logging.INFO:
        # A server's log is what its operator reads: tilqa's own lines (each rebuild, with its
        # reason and time) are shown; other libraries' only from -v.
        logging.getLogger("tilqa").setLevel(logging.INFO)
    try:
        settings = Settings.load(
            env, corpus_dir=args.corpus, index_dir=args.index, model=args.model, ray_address=getattr(args, "ray", None)
        )
        _log_corpus(settings, chosen=args.corpus is not None or bool(env.get("TILQA_CORPUS_DIR")))
        assistant = Assistant(settings=settings, embedder=_embedder(args.command, settings))
        if args.command == "build":
            report = assistant.build(force=args.force)
            print(json.dumps(report.to_dict(), indent=2) if args.json else report.summary())
        elif args.command == "ask":
            answer = assistant.ask(args.question, args.top_k)
            if args.json:
                print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
            else:
                _print_answer(answer)
        elif args.command == "chat":
            _chat(assistant, args.top_k)
        elif args.command == "eval":
            from .evaluation import evaluate, format_report, load_questions

            report = evaluate(assistant, load_questions(args.file), args.top_k)
            print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if args.json
                  else format_report(report, args.show_misses))
        elif args.command == "serve":
            from .web import launch

            demo = launch(assistant, host=args.host, port=args.port, auth=args.auth or settings.auth,
                          watch=args.watch, block=False)
            print(f"tilqa: chat on http://{args.host}:{args.port}/ — Ctrl+C to stop", flush=True)
            demo.block_thread()
    except TilqaError as exc:
        print(f"tilqa: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


def main() -> None:
    try:
        status = run()
        sys.stdout.flush()
    except BrokenPipeError:
        # The reader went away (`tilqa ask … | head -1`): nothing more to say, and no traceback.
        # Python's own recipe: point stdout at devnull so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        status = 1
    sys.exit(status)
