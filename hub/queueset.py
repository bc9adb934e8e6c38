"""The configured queue set: kept in the store (the system of record), seeded from ``HUB_QUEUES_FILE`` on a
first start, changed through the API, and taken up by every hub process (a generation number in Redis)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import msgspec

from hub import keys
from hub.errors import Conflict, HubError, InvalidInput
from hub.models import AgentState, ConversationState, User
from hub.routing.queues import QueueSpec, check, default_queues
from hub.routing.queues import load as parse_queues
from hub.routing.router import EVERY_QUEUE
from hub.settings import SettingsError

if TYPE_CHECKING:
    from hub.pipeline import Pipeline

CONFIG_NAME = "queues"
log = logging.getLogger(__name__)


class QueueSet:
    def __init__(self, pipeline: Pipeline, redis: Any) -> None:
        self.pipeline = pipeline
        self._redis = redis
        self._generation: str | None = None

    async def start(self) -> None:
        """Take up the stored set (seeding it from the file or the default on a first start)."""
        stored = await self.pipeline.store.get_config(CONFIG_NAME)
        if stored is None:
            specs = self._seed()
            await self.pipeline.store.put_config(CONFIG_NAME, _encode(specs))
        else:
            specs = parse_queues(stored)
        self._generation = await self._redis.get(keys.QUEUES_GENERATION)
        await self.pipeline.router.configure(specs)

    def _seed(self) -> list[QueueSpec]:
        path = self.pipeline.settings.queues_file
        if path is None:
            return default_queues()
        try:
            return parse_queues(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise SettingsError(f"HUB_QUEUES_FILE {path}: {exc.strerror}") from None
        except HubError as exc:
            raise SettingsError(f"HUB_QUEUES_FILE {path}: {exc.detail}") from None

    @property
    def queues(self) -> list[QueueSpec]:
        return list(self.pipeline.router.queues.values())

    async def replace(self, specs: list[QueueSpec]) -> list[QueueSpec]:
        """Make ``specs`` the queue set. A queue that goes away must have nobody waiting in it."""
        if not specs:
            raise InvalidInput("there must be at least one queue", code="invalid_queues")
        check(specs)
        kept = {spec.id for spec in specs}
        gone = set(self.pipeline.router.queues) - kept
        if gone:
            queued = await self.pipeline.store.conversations_in_state(ConversationState.QUEUED)
            busy = sorted({c.queue_id for c in queued if c.queue_id in gone})
            if busy:
                raise Conflict(f"queue {', '.join(busy)} still has conversations waiting or offered; move them "
                               "first", code="queue_in_use")
        await self.pipeline.store.put_config(CONFIG_NAME, _encode(specs))
        await self.pipeline.router.configure(specs)
        self._generation = str(await self._redis.incr(keys.QUEUES_GENERATION))
        await self.rejoin_agents()
        self.pipeline.wallboard.forget()
        await self.pipeline.route([EVERY_QUEUE])
        return self.queues

    async def upsert(self, spec: QueueSpec) -> list[QueueSpec]:
        others = [q for q in self.queues if q.id != spec.id]
        position = next((i for i, q in enumerate(self.queues) if q.id == spec.id), len(others))
        return await self.replace([*others[:position], spec, *others[position:]])

    async def remove(self, queue_id: str) -> list[QueueSpec]:
        if queue_id not in self.pipeline.router.queues:
            raise InvalidInput(f"there is no queue {queue_id!r}", code="unknown_queue")
        return await self.replace([q for q in self.queues if q.id != queue_id])

    async def rejoin_agents(self) -> None:
        """Every online agent's queues again, from their skills (after the queues or their skills changed)."""
        for agent_id in await self.pipeline.router.online():
            await self.rejoin(await self.pipeline.store.get_user(agent_id))

    async def rejoin(self, user: User) -> None:
        current = await self.pipeline.router.agent_load(user.id)
        if current is None or current.state == AgentState.OFFLINE.value:
            return
        acd = self.pipeline.acd
        await self.pipeline.router.set_state(user.id, current.state, acd.capacities(user), acd.memberships(user))

    async def check(self) -> bool:
        """On every sweep: another process changed the set? Take it up. Returns whether it did."""
        generation = await self._redis.get(keys.QUEUES_GENERATION)
        if generation == self._generation:
            return False
        stored = await self.pipeline.store.get_config(CONFIG_NAME)
        if stored is not None:
            self.pipeline.router.use(parse_queues(stored))
            self.pipeline.wallboard.forget()
        self._generation = generation
        log.info("queues: took up generation %s", generation)
        return True


def _encode(specs: list[QueueSpec]) -> str:
    return msgspec.json.encode({"queues": specs}).decode()
