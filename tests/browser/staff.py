"""Signing in on the staff pages (console, wallboard, reports, admin, editor), as a person does it."""

from __future__ import annotations

from typing import Any

from tests.support.hub import HubServer

LABELS = {"en": ("Username", "Password"), "zh": ("用户名", "密码")}


def sign_in(page: Any, hub: HubServer, path: str, username: str, password: str, lang: str = "en") -> None:
    """Open ``path`` and sign in with the keyboard (the form's labels in the page's language)."""
    user_label, password_label = LABELS[lang]
    page.goto(f"{hub.http}{path}")
    page.get_by_label(user_label).fill(username)
    page.get_by_label(password_label).fill(password)
    page.get_by_label(password_label).press("Enter")


def ready_agent_zh(console: Any, hub: HubServer) -> None:
    """The demo agent signed in on a Chinese console, ready."""
    sign_in(console, hub, "/console", "agent", hub.demo_password("agent"), "zh")
    console.get_by_role("button", name="就绪", exact=True).click()
