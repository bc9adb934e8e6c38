"""Attachments over HTTP: the widget uploads a customer's file (with its chat session's token), and staff and
that customer read it back (``?token=``: an ``<img>`` cannot send a header)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

import msgspec
from litestar import Request, Response, get, post
from litestar.di import Provide

from hub.api.deps import current_user, runtime_of, user_from_token
from hub.attachments import INLINE
from hub.errors import NotFound, Unauthorized
from hub.models import Channel, User

UPLOAD_LIMIT = 32 * 1024 * 1024  # the transport's bound; HUB_MAX_FILE_BYTES is the real limit, with a clear error


class FileOut(msgspec.Struct):
    id: str
    name: str
    content_type: str
    size: int


@post("/api/webchat/files", status_code=201, request_max_body_size=UPLOAD_LIMIT, tags=["webchat"])
async def upload(request: Request[Any, Any, Any]) -> FileOut:
    """The body is the file; ``X-Chat-Token`` the widget's session token, ``X-File-Name`` its (URL-encoded)
    name. Send it in a ``message`` frame as ``file_id`` next."""
    pipeline = runtime_of(request).pipeline
    contact_id = await pipeline.customer_of(Channel.WEBCHAT, request.headers.get("x-chat-token"))
    name = unquote(request.headers.get("x-file-name", "file"))
    meta = await pipeline.attachments.keep(await request.body(), name, contact_id)
    return FileOut(id=meta.id, name=meta.name, content_type=meta.content_type, size=meta.size)


@post("/api/conversations/{conversation_id:str}/files", status_code=201, request_max_body_size=UPLOAD_LIMIT,
      dependencies={"user": Provide(current_user)}, tags=["conversations"])
async def upload_for_customer(request: Request[Any, Any, Any], conversation_id: str, user: User) -> FileOut:
    """An agent's attachment for the conversation's customer (body and ``X-File-Name`` as above); send it in a
    reply as ``file_id`` next."""
    pipeline = runtime_of(request).pipeline
    conversation = await pipeline.work.writable_by(user, conversation_id)
    name = unquote(request.headers.get("x-file-name", "file"))
    meta = await pipeline.attachments.keep(await request.body(), name, conversation.contact_id)
    return FileOut(id=meta.id, name=meta.name, content_type=meta.content_type, size=meta.size)


@get("/api/files/{file_id:str}", tags=["webchat"])
async def download(request: Request[Any, Any, Any], file_id: str, token: str | None = None) -> Response[bytes]:
    """Staff read any file; a customer only their own (anyone else: 404, as if there were none)."""
    runtime = runtime_of(request)
    meta, data = await runtime.store.get_file(file_id)
    try:
        await user_from_token(runtime, token)
    except Unauthorized:
        try:
            owner = await runtime.pipeline.customer_of(Channel.WEBCHAT, token)
        except Unauthorized:
            owner = None  # no session at all: told the same as anyone else, so as not to confirm the file
        if owner != meta.contact_id:
            raise NotFound("no such file") from None
    disposition = "inline" if meta.content_type in INLINE else "attachment"
    return Response(data, media_type=meta.content_type, headers={
        "content-disposition": f"{disposition}; filename*=UTF-8''{quote(meta.name)}",
        "x-content-type-options": "nosniff", "content-security-policy": "sandbox; default-src 'none'",
        "cache-control": "private, max-age=3600"})


ROUTES = [upload, upload_for_customer, download]
