"""Queue statistics for supervisors' wallboards."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import Provide

from hub.api.deps import current_user, runtime_of
from hub.errors import Forbidden
from hub.models import User
from hub.pipeline import MANAGER_ROLES
from hub.routing.stats import QueueStats


class QueueController(Controller):
    path = "/api/queues"
    dependencies = {"user": Provide(current_user)}
    tags = ["queues"]

    @get("/stats")
    async def stats(self, request: Request, user: User) -> list[QueueStats]:
        """Per queue: waiting, longest wait, offered / answered / abandoned today, service level, average
        wait and handle time, the estimated wait for a newcomer, and agents by state."""
        if user.role not in MANAGER_ROLES:
            raise Forbidden("queue statistics are for supervisors and admins", code="role_forbidden")
        return await runtime_of(request).pipeline.wallboard.stats()
