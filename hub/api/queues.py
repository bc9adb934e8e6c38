"""Queues (who takes which conversations, in what order, when) and their live statistics."""

from __future__ import annotations

from litestar import Controller, Request, delete, get, put
from litestar.di import Provide

from hub.api.deps import ADMINS, current_user, require, runtime_of
from hub.errors import InvalidInput
from hub.models import MANAGER_ROLES, User
from hub.routing.queues import QueueSpec
from hub.routing.stats import QueueStats


class QueueController(Controller):
    path = "/api/queues"
    dependencies = {"user": Provide(current_user)}
    tags = ["queues"]

    @get("/")
    async def list_queues(self, request: Request, user: User) -> list[QueueSpec]:
        """The queue set, in the order handoffs look for a queue serving the channel."""
        return runtime_of(request).queueset.queues

    @put("/")
    async def replace(self, request: Request, user: User, data: list[QueueSpec]) -> list[QueueSpec]:
        """Replace the whole set (admins). A queue left out must have nobody waiting (409 ``queue_in_use``)."""
        require(user, ADMINS, "only admins change queues")
        return await runtime_of(request).queueset.replace(data)

    @put("/{queue_id:str}")
    async def upsert(self, request: Request, user: User, queue_id: str, data: QueueSpec) -> list[QueueSpec]:
        """Create or change one queue (admins); returns the whole set."""
        require(user, ADMINS, "only admins change queues")
        if data.id != queue_id:
            raise InvalidInput("the queue's id must match the address", code="id_mismatch")
        return await runtime_of(request).queueset.upsert(data)

    @delete("/{queue_id:str}", status_code=200)
    async def remove(self, request: Request, user: User, queue_id: str) -> list[QueueSpec]:
        require(user, ADMINS, "only admins change queues")
        return await runtime_of(request).queueset.remove(queue_id)

    @get("/stats")
    async def stats(self, request: Request, user: User) -> list[QueueStats]:
        """Per queue: waiting, longest wait, offered / answered / abandoned today, service level, average
        wait and handle time, the estimated wait for a newcomer, and agents by state."""
        require(user, MANAGER_ROLES, "queue statistics are for supervisors and admins")
        return await runtime_of(request).pipeline.wallboard.stats()
