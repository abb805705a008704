"""The web chat (Gradio): `launch(assistant)` serves it. Importing this package imports Gradio,
so the command line imports it only to serve.

One module a job:

- `server`: `launch` and `parse_auth`: serving the chat, its guards and source view.
- `chat`: `build_app`: the page, the `/ask` API and, with uploads, the `/add` API.
- `replies`: `render_answer`: a reply as HTML, every text escaped.
- `documents`: `documents_html`, `page_texts`: the Documents panel, the page's texts.
- `page_image`: `page_figure`: a PDF page rendered for the source view, cited lines highlighted.
- `api`: `api_mount`: `POST /api/ask`, `GET /api/documents`, the OpenAPI schema.
- `api_defaults`: `DefaultArguments`: the Gradio `/ask` endpoint's defaults over plain HTTP.
- `source`: `source_view`, `source_url`: the `GET /source` page of a citation.
- `upload_jobs`: `UploadJobs`: files saved into the corpus, then indexed in the background.
- `notices`: `Notices`: what a page's uploads have to tell its chat.
- `guards`: `BodyLimit`, `HostCheck`, `LoginThrottle`, `logged_in`: request size limit (chunked
  bodies too), Host and Origin checks, login throttling, and the login check.
"""

from .chat import build_app
from .guards import BodyLimit, HostCheck, LoginThrottle, logged_in
from .notices import MERGE_NOTICES, Notices
from .replies import as_text, render_answer
from .server import launch, parse_auth
from .source import source_url, source_view
from .upload_jobs import Indexed, Indexer, Saved, UploadJobs, upload_limit_bytes

__all__ = [
    "BodyLimit",
    "HostCheck",
    "LoginThrottle",
    "Indexed",
    "Indexer",
    "MERGE_NOTICES",
    "Notices",
    "Saved",
    "UploadJobs",
    "as_text",
    "build_app",
    "launch",
    "logged_in",
    "parse_auth",
    "render_answer",
    "source_url",
    "source_view",
    "upload_limit_bytes",
]
