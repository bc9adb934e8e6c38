"""The signed-in agent: who they are, and their presence state."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from hub.api.deps import current_user, runtime_of
from hub.errors import InvalidInput
from hub.models import CHAT_ROLES, AgentState, User


class StateIn(msgspec.Struct):
    state: Literal["ready", "not_ready", "offline"]
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | None = None  # why not ready


class Me(msgspec.Struct):
    id: str
    username: str
    role: str
    display_name: str | None
    state: str
    capacity: int
    state_reason: str | None = None


class Colleague(msgspec.Struct):
    id: str
    name: str
    state: str
    team: str | None = None


class AgentController(Controller):
    path = "/api/agent"
    dependencies = {"user": Provide(current_user)}

    @get("/me")
    async def me(self, request: Request, user: User) -> Me:
        pipeline = runtime_of(request).pipeline
        return Me(id=user.id, username=user.username, role=user.role.value, display_name=user.display_name,
                  state=user.agent_state.value, capacity=pipeline.capacity(user), state_reason=user.state_reason)

    @get("/colleagues")
    async def colleagues(self, request: Request, user: User) -> list[Colleague]:
        """The others who take conversations (to transfer one to a person): name, state and team."""
        users = await runtime_of(request).store.list_users()
        return [Colleague(id=u.id, name=u.display_name or u.username, state=u.agent_state.value, team=u.team)
                for u in users if u.id != user.id and u.role in CHAT_ROLES]

    @post("/state", status_code=200)
    async def set_state(self, request: Request, user: User, data: StateIn) -> dict[str, str | None]:
        if data.reason is not None and data.state != "not_ready":
            raise InvalidInput("only not_ready takes a reason", code="invalid_field")
        await runtime_of(request).pipeline.set_agent_state(user, AgentState(data.state), data.reason)
        return {"state": data.state, "reason": data.reason}
