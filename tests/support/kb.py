"""Knowledge-base set-up through the real API, as an editor and a reviewer would do it."""

from __future__ import annotations

from typing import Any

import httpx


async def signed_in(http_base: str, username: str, password: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=http_base, timeout=60)
    response = await http.post("/api/auth/login", json={"username": username, "password": password})
    response.raise_for_status()
    http.headers["authorization"] = f"Bearer {response.json()['token']}"
    return http


async def publish(http: httpx.AsyncClient, **content: Any) -> dict[str, Any]:
    """Create an article, submit it and publish it (``http`` signed in as a reviewer or an admin)."""
    created = await http.post("/api/kb/articles", json=content)
    assert created.status_code == 201, created.text
    article = created.json()
    submitted = await http.post(f"/api/kb/articles/{article['id']}/submit", json={"revision": article["revision"]})
    assert submitted.status_code == 200, submitted.text
    published = await http.post(f"/api/kb/articles/{article['id']}/publish",
                                json={"revision": submitted.json()["revision"]})
    assert published.status_code == 200, published.text
    return published.json()
