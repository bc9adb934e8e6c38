"""Sign-in: a username and password for a signed bearer token."""

from __future__ import annotations

import asyncio
from typing import Annotated

import msgspec
from litestar import Controller, Request, post

from hub.api.deps import runtime_of
from hub.auth import hash_password, verify_password
from hub.errors import Unauthorized
from hub.models import username_key

_DUMMY_HASH = hash_password("not a password")

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class LoginIn(msgspec.Struct):
    username: Name
    password: Password


class LoginOut(msgspec.Struct):
    token: str
    user_id: str
    username: str
    role: str


class AuthController(Controller):
    path = "/api/auth"

    @post("/login", status_code=200)
    async def login(self, request: Request, data: LoginIn) -> LoginOut:
        runtime = runtime_of(request)
        limit = runtime.settings.login_attempts_per_min
        await runtime.limiter.hit("login", username_key(data.username), limit, 60)  # the key sign-in finds by
        user = await runtime.store.get_user_by_name(data.username)
        stored = user.password_hash if user else _DUMMY_HASH  # same work whether or not the user exists
        valid = await asyncio.to_thread(verify_password, data.password, stored)
        if user is None or not valid:
            raise Unauthorized("wrong username or password", code="bad_credentials")
        return LoginOut(token=runtime.tokens.issue(user.id), user_id=user.id, username=user.username,
                        role=user.role.value)
