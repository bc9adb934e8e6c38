"""The relay of ``tests.bench.relay``, served by the hub's own web stack (litestar on uvicorn, with the
hub's websocket settings) instead of bare ``websockets``.

It shows what the framework the hub is built on costs by itself, with no store, Redis or routing: the
hub's rate divided by this one is the share of the stack's ceiling the hub's own work leaves.
Run as its own process: ``python -m tests.bench.framework_relay PORT AGENTS``.
"""

from __future__ import annotations

import sys

import uvicorn
from litestar import Litestar, WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from tests.bench.relay import Frames


class Relay:
    def __init__(self, agents: int) -> None:
        self.frames: Frames[WebSocket] = Frames(agents)

    async def agent(self, socket: WebSocket, number: int) -> None:
        await socket.accept()
        self.frames.agents[number] = socket
        try:
            while True:
                await socket.receive_text()
        except WebSocketDisconnect:
            pass

    async def customer(self, socket: WebSocket) -> None:
        await socket.accept()
        number = next(self.frames.customers)
        try:
            while True:
                back, onward = self.frames.answer(number, await socket.receive_text())
                agent = self.frames.agent_of(number)
                await socket.send_text(back[0])
                if onward is not None and agent is not None:
                    await agent.send_text(onward)
                for frame in back[1:]:
                    await socket.send_text(frame)
        except WebSocketDisconnect:
            pass


def app(agents: int) -> Litestar:
    relay = Relay(agents)

    @websocket("/agent/{number:int}")
    async def agent(socket: WebSocket, number: int) -> None:
        await relay.agent(socket, number)

    @websocket("/")
    async def customer(socket: WebSocket) -> None:
        await relay.customer(socket)

    return Litestar([agent, customer])


if __name__ == "__main__":
    uvicorn.run(app(int(sys.argv[2])), host="127.0.0.1", port=int(sys.argv[1]), ws="websockets-sansio",
                ws_max_size=64 * 1024, ws_per_message_deflate=False, log_level="warning", lifespan="off")
