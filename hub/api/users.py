"""Users as admins manage them: role, name, skills (routing), team, capacities per media."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch
from litestar.di import Provide

from hub.api.deps import ADMINS, current_user, require, runtime_of
from hub.errors import InvalidInput
from hub.models import AgentState, User, UserRole, iso, utcnow
from hub.pipeline import CHAT_ROLES, MANAGER_ROLES
from hub.routing.queues import Name, Proficiency
from hub.runtime import Runtime

Capacity = Annotated[int, msgspec.Meta(ge=0, le=100)]


class UserOut(msgspec.Struct, kw_only=True):
    id: str
    username: str
    role: UserRole
    display_name: str | None
    skills: dict[str, int]
    team: str | None
    capacity: int
    capacities: dict[str, int]
    agent_state: str
    state_reason: str | None
    state_changed_at: str | None


class UserChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    display_name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    role: UserRole | None = None
    skills: dict[Name, Proficiency] | None = None
    team: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    capacity: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None  # concurrent chats
    capacities: dict[str, Capacity] | None = None  # per media: chat, voice, email


def _out(runtime: Runtime, user: User) -> UserOut:
    caps = runtime.pipeline.acd.capacities(user)
    return UserOut(id=user.id, username=user.username, role=user.role, display_name=user.display_name,
                   skills=user.skills, team=user.team, capacity=caps["chat"], capacities=caps,
                   agent_state=user.agent_state.value, state_reason=user.state_reason,
                   state_changed_at=iso(user.state_changed_at) if user.state_changed_at else None)


class UserController(Controller):
    path = "/api/users"
    dependencies = {"user": Provide(current_user)}
    tags = ["users"]

    @get("/")
    async def list_users(self, request: Request, user: User) -> list[UserOut]:
        require(user, MANAGER_ROLES, "the user list is for supervisors and admins")
        runtime = runtime_of(request)
        return [_out(runtime, u) for u in await runtime.store.list_users()]

    @patch("/{user_id:str}")
    async def change(self, request: Request, user: User, user_id: str, data: UserChange) -> UserOut:
        """Change a user (admins). New skills or capacities apply to routing at once."""
        require(user, ADMINS, "only admins change users")
        if data.capacities is not None and set(data.capacities) - {"chat", "voice", "email"}:
            raise InvalidInput("capacities are per media: chat, voice, email", code="invalid_field")
        runtime = runtime_of(request)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        changed = await runtime.store.update_user(user_id, changes)
        if changed.role not in CHAT_ROLES and changed.agent_state is not AgentState.OFFLINE:  # no longer takes chats
            await runtime.store.set_agent_state(changed.id, AgentState.OFFLINE, utcnow())
            await runtime.pipeline.router.set_state(changed.id, AgentState.OFFLINE.value,
                                                    runtime.pipeline.acd.capacities(changed), [])
            changed = await runtime.store.get_user(changed.id)
        await runtime.queueset.rejoin(changed)
        await runtime.pipeline.route()
        return _out(runtime, changed)
