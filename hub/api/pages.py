"""The pages the hub serves from ``web/static``: the demo page with the widget, the agent console, the
supervisor's wallboard, the admin page, the knowledge editor."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Response, get
from litestar.static_files import create_static_files_router

STATIC = Path(str(resources.files("web").joinpath("static")))


def _file(name: str, media_type: str) -> Response:
    return Response((STATIC / name).read_bytes(), media_type=media_type,
                    headers={"cache-control": "no-cache"})


@get("/", include_in_schema=False, sync_to_thread=False)
def demo_page() -> Response:
    return _file("index.html", "text/html; charset=utf-8")


@get("/console", include_in_schema=False, sync_to_thread=False)
def console_page() -> Response:
    return _file("console.html", "text/html; charset=utf-8")


@get("/wallboard", include_in_schema=False, sync_to_thread=False)
def wallboard_page() -> Response:
    return _file("wallboard.html", "text/html; charset=utf-8")


@get("/admin", include_in_schema=False, sync_to_thread=False)
def admin_page() -> Response:
    return _file("admin.html", "text/html; charset=utf-8")


@get("/editor", include_in_schema=False, sync_to_thread=False)
def editor_page() -> Response:
    return _file("editor.html", "text/html; charset=utf-8")


@get("/reports", include_in_schema=False, sync_to_thread=False)
def reports_page() -> Response:
    return _file("reports.html", "text/html; charset=utf-8")


@get("/widget.js", include_in_schema=False, sync_to_thread=False)
def widget_script() -> Response:
    return _file("widget.js", "text/javascript; charset=utf-8")


ROUTES: list[Any] = [demo_page, console_page, wallboard_page, admin_page, editor_page, reports_page, widget_script,
                     create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)]
