"""create_app: the Litestar application, wired to one Runtime."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect
from litestar.openapi import OpenAPIConfig

from connectors.webchat.connector import Limits, WebchatConnector
from connectors.wechat.accounts import WeChatAccount, load_accounts
from connectors.wechat.connector import WeChatConnector
from hub import startup
from hub.api import pages
from hub.api.agent import AgentController
from hub.api.agent_ws import agent_socket
from hub.api.auth import AuthController
from hub.api.contacts import ContactController
from hub.api.conversations import ConversationController
from hub.api.desk import DeskController
from hub.api.errors import HANDLERS
from hub.api.files import ROUTES as FILES
from hub.api.health import healthz
from hub.api.kb import KnowledgeController
from hub.api.queues import QueueController
from hub.api.reports import ReportController
from hub.api.users import UserController
from hub.api.webhooks import ROUTES as WEBHOOKS
from hub.channel_state import RedisCallbackLedger, RedisTokenCache
from hub.logs import install_redaction
from hub.models import Channel
from hub.runtime import Runtime
from hub.settings import Settings, SettingsError

log = logging.getLogger("hub")


@websocket("/ws/webchat")
async def webchat_socket(socket: WebSocket) -> None:
    await socket.accept()
    try:
        await socket.app.state.webchat.serve(socket)
    except WebSocketDisconnect:
        pass


def _announce_demo_login(runtime: Runtime) -> None:
    for username, password, role in runtime.demo_login:
        print(f"Demo login ({role}): {username} / {password}", flush=True)
    if runtime.demo_login:
        print(f"(saved in {runtime.settings.data_dir / 'demo-login.txt'})", flush=True)


def _wechat_accounts(settings: Settings) -> list[WeChatAccount]:
    if settings.wechat_file is None:
        return []
    try:
        return load_accounts(settings.wechat_file)
    except ValueError as exc:
        raise SettingsError(f"HUB_WECHAT_FILE: {exc}") from None


def _wechat(runtime: Runtime, accounts: list[WeChatAccount]) -> WeChatConnector | None:
    """The WeChat channel, when accounts are configured: its replies leave through it."""
    if not accounts:
        return None
    redis = runtime.coordination.redis
    connector = WeChatConnector(accounts, runtime.pipeline, RedisTokenCache(redis, runtime.scripts, "wechat"),
                                RedisCallbackLedger(redis, "wechat"))
    runtime.pipeline.outbound.senders[Channel.WECHAT] = connector
    return connector


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    runtime = Runtime(settings)
    wechat_accounts = _wechat_accounts(settings)  # a bad file stops the start, before anything runs

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        install_redaction()
        try:
            await runtime.start()
        except Exception as exc:
            said = startup.reason(exc)
            if said is not None:
                log.error("cannot start: %s", said)
                app.state.startup_reported = True
            raise
        app.state.runtime = runtime
        app.state.webchat = WebchatConnector(runtime.pipeline, Limits(
            settings.max_text_bytes, settings.ws_rate_per_s, settings.ws_burst))
        app.state.wechat = _wechat(runtime, wechat_accounts)
        _announce_demo_login(runtime)
        try:
            yield
        finally:
            if app.state.wechat is not None:
                await app.state.wechat.stop()
            await runtime.stop()

    return Litestar(
        route_handlers=[AuthController, AgentController, ConversationController, DeskController, KnowledgeController,
                        QueueController, ContactController, UserController, agent_socket, webchat_socket, healthz,
                        *pages.ROUTES,
                        *WEBHOOKS, *FILES, ReportController],
        lifespan=[lifespan],
        exception_handlers=HANDLERS,
        openapi_config=OpenAPIConfig(title="Contact hub", version="0.1.0", path="/api/schema"),
    )
