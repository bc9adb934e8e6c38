"""Users as admins manage them: who may sign in (username, password, role), their name, skills (routing),
team and capacities per media. Passwords go in, never out: no response carries a hash."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch, post
from litestar.di import Provide

from hub.api.deps import ADMINS, current_user, require, runtime_of
from hub.auth import check_new_user, hash_password
from hub.errors import Conflict, InvalidInput
from hub.ids import new_id
from hub.models import CHAT_ROLES, MANAGER_ROLES, AgentState, User, UserRole, iso, utcnow
from hub.routing.queues import Name, Proficiency
from hub.runtime import Runtime

Capacity = Annotated[int, msgspec.Meta(ge=0, le=100)]
DisplayName = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


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


class NewUser(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    username: str
    password: Annotated[str, msgspec.Meta(max_length=256)]
    role: UserRole
    display_name: DisplayName | None = None


class UserChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    display_name: DisplayName | None = None
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

    @post("/", status_code=201)
    async def create(self, request: Request, user: User, data: NewUser) -> UserOut:
        """Add a user (admins); 409 ``username_taken`` when someone already has the name."""
        require(user, ADMINS, "only admins add users")
        check_new_user(data.username, data.password)
        runtime = runtime_of(request)
        password_hash = await asyncio.to_thread(hash_password, data.password)  # scrypt: slow on purpose
        created = User(id=new_id(), username=data.username, password_hash=password_hash, role=data.role,
                       created_at=utcnow(), display_name=data.display_name)
        try:
            await runtime.store.add_user(created)
        except Conflict as exc:
            raise Conflict(f"the username {data.username} is taken", code="username_taken") from exc
        return _out(runtime, created)

    @patch("/{user_id:str}")
    async def change(self, request: Request, user: User, user_id: str, data: UserChange) -> UserOut:
        """Change a user (admins). New skills or capacities apply to routing at once. An admin keeps their
        own admin role (409 ``cannot_demote_self``), so the hub always has an admin who signed in."""
        require(user, ADMINS, "only admins change users")
        if data.capacities is not None and set(data.capacities) - {"chat", "voice", "email"}:
            raise InvalidInput("capacities are per media: chat, voice, email", code="invalid_field")
        if user_id == user.id and data.role not in (None, UserRole.ADMIN):
            raise Conflict("you cannot take the admin role from yourself; another admin can",
                           code="cannot_demote_self")
        runtime = runtime_of(request)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        changed = await runtime.store.update_user(user_id, changes)
        runtime.pipeline.forget_name(changed.id)
        if changed.role not in CHAT_ROLES and changed.agent_state is not AgentState.OFFLINE:  # no longer takes chats
            await runtime.store.set_agent_state(changed.id, AgentState.OFFLINE, utcnow())
            await runtime.pipeline.router.set_state(changed.id, AgentState.OFFLINE.value,
                                                    runtime.pipeline.acd.capacities(changed), [])
            changed = await runtime.store.get_user(changed.id)
        await runtime.queueset.rejoin(changed)
        await runtime.pipeline.route()
        return _out(runtime, changed)
