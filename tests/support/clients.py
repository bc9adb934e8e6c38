"""Test clients that speak the real protocols over real sockets: a widget customer and an agent."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect

Frame = dict[str, Any]
_ids = itertools.count(1)


OPEN: list[FrameReader] = []


async def close_all() -> None:
    """Close every client a test opened (tests may leave sockets open; the fixture tidies up)."""
    while OPEN:
        await OPEN.pop().close()


class FrameReader:
    """Reads frames from a websocket, keeping the ones a test did not ask for yet."""

    def __init__(self, ws: ClientConnection) -> None:
        OPEN.append(self)
        self.ws = ws
        self.seen: list[Frame] = []
        self._backlog: list[Frame] = []

    async def send(self, frame: Frame | str) -> None:
        await self.ws.send(frame if isinstance(frame, str) else json.dumps(frame))

    async def next(self, kind: str | None = None, where: Callable[[Frame], bool] = lambda f: True,
                   timeout: float = 5.0) -> Frame:
        def wanted(frame: Frame) -> bool:
            return (kind is None or frame.get("type") == kind) and where(frame)

        for frame in self._backlog:
            if wanted(frame):
                self._backlog.remove(frame)
                return frame
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads(await self.ws.recv())
                self.seen.append(frame)
                if wanted(frame):
                    return frame
                self._backlog.append(frame)

    async def close(self) -> None:
        if self in OPEN:
            OPEN.remove(self)
        await self.ws.close()


class Customer(FrameReader):
    token: str | None = None
    conversation_id: str | None = None

    @classmethod
    async def connect(cls, ws_base: str) -> Customer:
        """A socket that has not said hello yet."""
        return cls(await connect(f"{ws_base}/ws/webchat"))

    @classmethod
    async def open(cls, ws_base: str, token: str | None = None, **hello: Any) -> tuple[Customer, Frame]:
        customer = await cls.connect(ws_base)
        await customer.send({"type": "hello", "token": token, **hello})
        welcome = await customer.next("welcome")
        customer.token, customer.conversation_id = welcome["token"], welcome["conversation_id"]
        return customer, welcome

    async def say(self, text: str, client_id: str | None = None) -> Frame:
        client_id = client_id or f"c{next(_ids)}"
        await self.send({"type": "message", "client_id": client_id, "text": text})
        return await self.next(where=lambda f: f.get("client_id") == client_id and f["type"] in ("ack", "error"))


class Agent(FrameReader):
    def __init__(self, ws: ClientConnection, http: httpx.AsyncClient, token: str, user_id: str) -> None:
        super().__init__(ws)
        self.http = http
        self.token = token
        self.user_id = user_id

    @classmethod
    async def login(cls, http_base: str, ws_base: str, username: str, password: str) -> Agent:
        http = httpx.AsyncClient(base_url=http_base, timeout=10)
        response = await http.post("/api/auth/login", json={"username": username, "password": password})
        response.raise_for_status()
        body = response.json()
        http.headers["authorization"] = f"Bearer {body['token']}"
        agent = cls(await connect(f"{ws_base}/ws/agent?token={body['token']}"), http, body["token"],
                    body["user_id"])
        await agent.next("welcome")
        return agent

    async def ready(self) -> None:
        (await self.http.post("/api/agent/state", json={"state": "ready"})).raise_for_status()

    async def accept_next_offer(self, timeout: float = 5.0) -> str:
        offer = await self.next("offer", timeout=timeout)
        (await self.http.post(f"/api/conversations/{offer['conversation_id']}/accept")).raise_for_status()
        return offer["conversation_id"]

    async def reply(self, conversation_id: str, text: str) -> httpx.Response:
        return await self.http.post(f"/api/conversations/{conversation_id}/messages", json={"text": text})

    async def close(self) -> None:
        await super().close()
        await self.http.aclose()

