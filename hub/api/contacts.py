"""Contacts: who a customer is, and the red list (VIP levels) and blacklist that routing honours."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, patch
from litestar.di import Provide

from hub.api.deps import current_user, require, runtime_of
from hub.models import MANAGER_ROLES, Contact, User


class ContactChange(msgspec.Struct, forbid_unknown_fields=True):
    vip: Annotated[int, msgspec.Meta(ge=0, le=5)] | None = None
    blocked: bool | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None


class ContactController(Controller):
    path = "/api/contacts"
    dependencies = {"user": Provide(current_user)}
    tags = ["contacts"]

    @get("/{contact_id:str}")
    async def read(self, request: Request, user: User, contact_id: str) -> Contact:
        return await runtime_of(request).store.get_contact(contact_id)

    @patch("/{contact_id:str}")
    async def change(self, request: Request, user: User, contact_id: str, data: ContactChange) -> Contact:
        """Set the VIP level (0-5: each level moves the contact ahead in the queue) or the blacklist flag
        (a blocked contact is told no agent can take the conversation, and is never queued)."""
        require(user, MANAGER_ROLES, "only supervisors and admins change VIP levels and the blacklist")
        store = runtime_of(request).store
        contact = await store.get_contact(contact_id)
        changes = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
        updated = msgspec.structs.replace(contact, **changes)
        await store.update_contact(updated)
        return updated
