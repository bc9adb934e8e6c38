"""The agents' desk: canned responses and wrap-up codes (every staff member reads them; admins set them)."""

from __future__ import annotations

from litestar import Controller, Request, get, put
from litestar.di import Provide

from hub.api.deps import ADMINS, current_user, require, runtime_of
from hub.desk import CannedResponse, WrapUpCode
from hub.models import User

ONLY_ADMINS = "only admins change the desk's canned responses and wrap-up codes"


class DeskController(Controller):
    path = "/api/desk"
    dependencies = {"user": Provide(current_user)}
    tags = ["desk"]

    @get("/canned")
    async def canned(self, request: Request, user: User) -> list[CannedResponse]:
        return await runtime_of(request).pipeline.desk.canned()

    @put("/canned")
    async def set_canned(self, request: Request, user: User, data: list[CannedResponse]) -> list[CannedResponse]:
        """Replace the canned responses (admins); shortcuts are unique."""
        require(user, ADMINS, ONLY_ADMINS)
        return await runtime_of(request).pipeline.desk.set_canned(data)

    @get("/wrap-up-codes")
    async def wrap_up_codes(self, request: Request, user: User) -> list[WrapUpCode]:
        return await runtime_of(request).pipeline.desk.wrap_up_codes()

    @put("/wrap-up-codes")
    async def set_wrap_up_codes(self, request: Request, user: User, data: list[WrapUpCode]) -> list[WrapUpCode]:
        require(user, ADMINS, ONLY_ADMINS)
        return await runtime_of(request).pipeline.desk.set_wrap_up_codes(data)
