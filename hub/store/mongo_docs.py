"""Entities as MongoDB documents: msgspec's builtin form, datetimes kept as BSON dates, ``_id`` = ``id``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec
from motor.motor_asyncio import AsyncIOMotorCollection
from pymongo.errors import DuplicateKeyError

from hub.errors import Conflict

T = TypeVar("T")


def dump(obj: Any) -> Any:
    return msgspec.to_builtins(obj, builtin_types=(datetime,))


def document(entity: Any) -> dict[str, Any]:
    doc = dump(entity)
    if "id" in doc:
        doc["_id"] = doc["id"]
    return doc


def load(doc: dict[str, Any], kind: type[T]) -> T:
    doc.pop("_id", None)
    return msgspec.convert(doc, kind)


async def insert(collection: AsyncIOMotorCollection, doc: dict[str, Any], clash: str) -> None:
    try:
        await collection.insert_one(doc)
    except DuplicateKeyError as exc:
        raise Conflict(clash) from exc
