"""Vendor callbacks: WeChat Official Accounts post their followers' messages and events here.

The connector (``app.state.wechat``, None when no account is configured) checks and answers them; this
module only carries the HTTP in and out. A callback body is small XML: anything over 64 KB is refused.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post

MAX_CALLBACK_BYTES = 64 * 1024
_NO_ACCOUNT = Response("unknown WeChat account", status_code=404, media_type="text/plain; charset=utf-8")


def _respond(reply: Any) -> Response[str]:
    return Response(reply.body, status_code=reply.status, media_type=reply.content_type)


@get("/webhooks/wechat/{account:str}", include_in_schema=False)
async def wechat_verify(request: Request[Any, Any, Any], account: str) -> Response[str]:
    connector = request.app.state.wechat
    if connector is None:
        return _NO_ACCOUNT
    return _respond(connector.verify(account, dict(request.query_params)))


@post("/webhooks/wechat/{account:str}", include_in_schema=False, request_max_body_size=MAX_CALLBACK_BYTES)
async def wechat_callback(request: Request[Any, Any, Any], account: str) -> Response[str]:
    connector = request.app.state.wechat
    if connector is None:
        return _NO_ACCOUNT
    return _respond(await connector.callback(account, dict(request.query_params), await request.body()))


ROUTES = [wechat_verify, wechat_callback]
