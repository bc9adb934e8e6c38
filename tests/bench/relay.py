"""A bare `websockets` relay: the baseline the hub's message path is compared with.

Same frames as the hub's protocol (hello → welcome, message → ack + echo + delivery to the agent),
but no store, no Redis, no routing: customer i's messages go to agent i mod the number of agents.
Run as its own process: ``python -m tests.bench.relay PORT AGENTS``.
"""

from __future__ import annotations

import asyncio
import itertools
import sys
from typing import Generic, TypeVar

import msgspec
from websockets.asyncio.server import ServerConnection, serve

_decode = msgspec.json.decode
_encode = msgspec.json.encode
Socket = TypeVar("Socket")


class Frames(Generic[Socket]):
    """What a relay keeps and answers, in the hub's protocol, with nothing behind it: agents' sockets by
    number, customers numbered as they connect; customer ``number``'s frame ``raw`` gives the frames back to
    the customer, and the one for its agent (None after a hello)."""

    def __init__(self, agents: int) -> None:
        self.ids = itertools.count()
        self.agents: dict[int, Socket] = {}
        self.count = agents
        self.customers = itertools.count()

    def agent_of(self, number: int) -> Socket | None:
        return self.agents.get(number % self.count)

    def answer(self, number: int, raw: str | bytes) -> tuple[list[str], str | None]:
        frame = _decode(raw)
        if frame.get("type") == "hello":
            return [_encode({"type": "welcome", "conversation_id": str(number), "token": "t",
                             "history": []}).decode()], None
        message_id = str(next(self.ids))
        event = _encode({"type": "message", "id": message_id, "conversation_id": str(number),
                         "role": "customer", "text": frame["text"]}).decode()
        return [event, _encode({"type": "ack", "client_id": frame["client_id"], "id": message_id}).decode()], event


class Relay:
    def __init__(self, agents: int) -> None:
        self.frames: Frames[ServerConnection] = Frames(agents)

    async def handle(self, ws: ServerConnection) -> None:
        if ws.request is not None and ws.request.path.startswith("/agent/"):
            self.frames.agents[int(ws.request.path.rsplit("/", 1)[1])] = ws
            await ws.wait_closed()
            return
        number = next(self.frames.customers)
        async for raw in ws:
            back, onward = self.frames.answer(number, raw)
            agent = self.frames.agent_of(number)
            await ws.send(back[0])
            if onward is not None and agent is not None:
                await agent.send(onward)
            for frame in back[1:]:
                await ws.send(frame)


async def main(port: int, agents: int) -> None:
    relay = Relay(agents)
    async with serve(relay.handle, "127.0.0.1", port, max_size=64 * 1024, compression=None):
        await asyncio.Future()


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))
