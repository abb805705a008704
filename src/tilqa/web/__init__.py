"""The web chat (Gradio): `launch(assistant)` serves it."""

from .chat import EXAMPLES, TITLE, Indexed, Saved, _Notices, launch, parse_auth, render_answer, source_url

__all__ = ["EXAMPLES", "TITLE", "Indexed", "Saved", "launch", "parse_auth", "render_answer", "source_url"]
