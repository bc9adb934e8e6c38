"""The pages the hub serves from ``web/static``: the demo page with the widget, the agent console, the
supervisor's wallboard, the admin page, the knowledge editor."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

from litestar import Response, route
from litestar.static_files import create_static_files_router

STATIC = Path(str(resources.files("web").joinpath("static")))


def _page(path: str, name: str, media_type: str = "text/html") -> Any:
    """GET (and HEAD) ``path``: the file ``name`` from web/static, read on every request (no-cache: a new
    version of the hub serves its new screens at once). Litestar adds the charset (utf-8)."""

    @route(path, http_method=["GET", "HEAD"], include_in_schema=False, sync_to_thread=False, name=name)
    def page() -> Response:
        return Response((STATIC / name).read_bytes(), media_type=media_type, headers={"cache-control": "no-cache"})

    return page


PAGES = {"/": "index.html", "/console": "console.html", "/wallboard": "wallboard.html", "/admin": "admin.html",
         "/editor": "editor.html", "/reports": "reports.html"}

ROUTES: list[Any] = [*(_page(path, name) for path, name in PAGES.items()),
                     _page("/widget.js", "widget.js", "text/javascript"),
                     create_static_files_router(path="/static", directories=[STATIC], include_in_schema=False)]
