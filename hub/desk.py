"""The agents' desk, as admins set it up: canned responses (typed as ``/shortcut`` in the console) and the
wrap-up codes an agent files a resolved conversation under. Kept in the store's configuration documents."""

from __future__ import annotations

from typing import Annotated, TypeVar

import msgspec

from hub.errors import InvalidInput
from hub.store import Store

Key = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
CANNED, WRAP_UP_CODES = "canned", "wrap_up_codes"


class CannedResponse(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    shortcut: Key  # the agent types /shortcut
    title: Label
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=4000)]


class WrapUpCode(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Key
    label: Label


T = TypeVar("T", CannedResponse, WrapUpCode)


class Desk:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def canned(self) -> list[CannedResponse]:
        return await self._read(CANNED, CannedResponse)

    async def set_canned(self, responses: list[CannedResponse]) -> list[CannedResponse]:
        _unique([r.shortcut.lower() for r in responses], "shortcut")
        return await self._write(CANNED, responses)

    async def wrap_up_codes(self) -> list[WrapUpCode]:
        return await self._read(WRAP_UP_CODES, WrapUpCode)

    async def set_wrap_up_codes(self, codes: list[WrapUpCode]) -> list[WrapUpCode]:
        _unique([c.code for c in codes], "code")
        return await self._write(WRAP_UP_CODES, codes)

    async def check_wrap_up(self, code: str | None) -> None:
        """A resolution's wrap-up code must be one of the configured codes."""
        if code is not None and code not in {c.code for c in await self.wrap_up_codes()}:
            raise InvalidInput(f"there is no wrap-up code {code!r}", code="unknown_wrap_up_code")

    async def _read(self, name: str, kind: type[T]) -> list[T]:
        stored = await self._store.get_config(name)
        return msgspec.json.decode(stored, type=list[kind]) if stored else []  # type: ignore[valid-type]

    async def _write(self, name: str, items: list[T]) -> list[T]:
        await self._store.put_config(name, msgspec.json.encode(items).decode())
        return items


def _unique(keys: list[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise InvalidInput(f"the {what} {key!r} is used twice", code=f"duplicate_{what}")
        seen.add(key)
