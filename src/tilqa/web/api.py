"""A plain JSON API for programs, beside the chat: `POST /api/ask` and `GET /api/documents`, with
an OpenAPI schema at `/api/openapi.json`, behind the chat's login and request size limit.

Programs need neither Gradio's two-step event protocol nor `gradio_client`: one request, one JSON
answer. It is a FastAPI app mounted into Gradio's; FastAPI (which Gradio is built on) validates the
body and writes the schema."""

from __future__ import annotations

import logging
from typing import Any, Union

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.requests import Request as StarletteRequest
from starlette.routing import Mount
from starlette.types import Receive, Scope, Send

from ..assistant import Assistant
from ..errors import TilqaError
from .guards import logged_in

log = logging.getLogger(__name__)

API_PATH = "/api"
_CHAT_APP = "tilqa.chat_app"  # where the mount keeps Gradio's app in the request scope, for the login check


class Turn(BaseModel):
    """An earlier turn of the conversation, as `/api/ask` returned it (only these fields are read)."""

    question: str
    answer: str = ""
    found: bool = False
    understood_as: str | None = None


class AskRequest(BaseModel):
    question: str = Field(description="the question, as a user typed it")
    top_k: int | None = Field(default=None, description="how many passages to cite (default: the server's)")
    history: list[Union[Turn, str]] | None = Field(
        default=None,
        description="the conversation's earlier answers (as this endpoint returned them) or questions, "
        "oldest first: a follow-up such as 'why?' is understood from them",
    )


class CitationOut(BaseModel):
    source: str
    start: int
    end: int
    text: str
    section: str
    score: float
    answer_start: int | None = None
    answer_end: int | None = None
    page: int | None = None


class AnswerOut(BaseModel):
    """`tilqa.Answer.to_dict()`."""

    question: str
    answer: str
    found: bool
    confidence: float
    citations: list[CitationOut]
    notes: list[str]
    understood_as: str

    model_config = {"extra": "allow"}  # fields added to Answer later pass through


class DocumentOut(BaseModel):
    source: str
    format: str
    pages: int | None
    passages: int
    modified: str | None


class SkippedOut(BaseModel):
    source: str
    reason: str


class DocumentsOut(BaseModel):
    documents: list[DocumentOut]
    skipped: list[SkippedOut]


class Problem(BaseModel):
    error: str


def build_api(assistant: Assistant) -> FastAPI:
    """The API app: its paths are relative to where it is mounted (`/api`)."""
    api = FastAPI(
        title="tilqa API", version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json",
        description="Extractive, cited answers from the chat's documents. Log in as for the chat (its "
        "session cookie) when the chat has a login.",
    )

    @api.middleware("http")
    async def login(request: Request, call_next: Any) -> Any:
        chat = request.scope.get(_CHAT_APP)
        if chat is None or not await logged_in(StarletteRequest({**request.scope, "app": chat})):
            return JSONResponse({"error": "log in first: this chat has a login"}, status_code=401)
        return await call_next(request)

    @api.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg', 'invalid')}"
            for e in exc.errors()
        )
        return JSONResponse({"error": f"bad request: {problems}"}, status_code=400)

    @api.post("/ask", response_model=AnswerOut, responses={400: {"model": Problem}, 401: {"model": Problem}})
    def ask(body: AskRequest) -> Any:
        """Answer a question (with the conversation before it, if any): `Answer.to_dict()`."""
        history = [t if isinstance(t, str) else t.model_dump() for t in body.history or []]
        try:
            return assistant.ask(body.question, body.top_k, history=history).to_dict()
        except TilqaError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except Exception:  # never a traceback to a program either; the log keeps it
            log.exception("/api/ask failed for %r", body.question[:200])
            return JSONResponse({"error": "something went wrong while answering; please try again"}, status_code=500)

    @api.get("/documents", response_model=DocumentsOut, responses={401: {"model": Problem}})
    def documents() -> Any:
        """The documents the index holds, and the corpus files it left out with the reason."""
        return {
            "documents": [d.to_dict() for d in assistant.documents()],
            "skipped": [{"source": s.source, "reason": s.reason} for s in assistant.skipped_files()],
        }

    return api


def api_mount(assistant: Assistant) -> Mount:
    """The API mounted at `/api` inside Gradio's app, which it asks whether a request is logged in."""
    api = build_api(assistant)

    async def with_chat(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, _CHAT_APP: scope.get("app")}
        await api(scope, receive, send)

    return Mount(API_PATH, app=with_chat)
