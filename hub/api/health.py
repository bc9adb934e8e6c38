"""Liveness and readiness: 200 once the store and Redis both answer."""

from __future__ import annotations

from litestar import Request, Response, get

from hub.api.deps import runtime_of


@get("/healthz")
async def healthz(request: Request) -> Response:
    try:
        await runtime_of(request).ping()
    except Exception:
        return Response({"status": "unavailable"}, status_code=503)
    return Response({"status": "ok"}, status_code=200)
