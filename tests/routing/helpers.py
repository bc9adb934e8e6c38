"""Short ways to say "a chat waiting in the general queue" and "an agent of the general queue"."""

from __future__ import annotations

from hub.routing import Offer, Router
from hub.routing.queues import DEFAULT_QUEUE
from hub.routing.router import Routed


def chat(conversation_id: str, score: int, queue_id: str = DEFAULT_QUEUE, tier: int = 0,
         wanted: str | None = None, wanted_until_ms: int | None = None, media: str = "chat") -> Routed:
    return Routed(conversation_id, queue_id, media, score, score, tier, wanted, wanted_until_ms)


async def agent(router: Router, agent_id: str, state: str, chats: int,
                memberships: list[tuple[str, int, int]] | None = None, match: bool = False,
                **capacities: int) -> list[Offer]:
    return await router.set_state(agent_id, state, {"chat": chats, "voice": 1, "email": 0, **capacities},
                                  [(DEFAULT_QUEUE, 0, 0)] if memberships is None else memberships, match=match)
