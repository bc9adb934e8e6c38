"""Attachments: pictures and documents customers send, and WeChat media, kept in the store.

What a file is comes from its first bytes, never from the name or the type its sender claimed; only pictures
(PNG, JPEG, GIF, WebP), PDF, plain text and AMR voice are taken, up to ``HUB_MAX_FILE_BYTES``. They are served
back with that type, ``nosniff`` and a sandboxing content security policy, so a file cannot run in the hub's
origin.
"""

from __future__ import annotations

import re
import unicodedata

from hub.errors import InvalidInput, NotFound
from hub.ids import new_id
from hub.models import StoredFile, utcnow
from hub.store import Store

SIGNATURES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
              (b"GIF89a", "image/gif"), (b"%PDF-", "application/pdf"), (b"#!AMR", "audio/amr"))
INLINE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})  # shown in place; the rest downloaded
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


def recognise(data: bytes, name: str) -> str:
    """The file's type from its bytes; InvalidInput ``file_type`` for anything else."""
    for magic, kind in SIGNATURES:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if name.lower().endswith(".txt") and b"\x00" not in data:
        try:
            data.decode("utf-8")
            return "text/plain; charset=utf-8"
        except UnicodeDecodeError:
            pass
    raise InvalidInput("only pictures (PNG, JPEG, GIF, WebP), PDF and .txt files can be sent", code="file_type")


def safe_name(name: str) -> str:
    """A file name fit to show and to download under: no path, no control characters, at most 120 characters."""
    base = _UNSAFE.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1])
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return cleaned[:120] or "file"


class Attachments:
    def __init__(self, store: Store, max_bytes: int) -> None:
        self._store = store
        self.max_bytes = max_bytes

    async def keep(self, data: bytes, name: str, contact_id: str | None) -> StoredFile:
        if not data:
            raise InvalidInput("the file is empty", code="file_empty")
        if len(data) > self.max_bytes:
            raise InvalidInput(f"files are limited to {self.max_bytes // (1024 * 1024)} MB", code="file_too_large")
        meta = StoredFile(id=new_id(), name=safe_name(name), content_type=recognise(data, name), size=len(data),
                          created_at=utcnow(), contact_id=contact_id)
        await self._store.put_file(meta, data)
        return meta

    @staticmethod
    def describe(meta: StoredFile) -> dict[str, str]:
        """What a message carrying the file keeps of it (its ``meta``)."""
        return {"file_id": meta.id, "file_name": meta.name, "content_type": meta.content_type, "size": str(meta.size)}

    @staticmethod
    def caption(meta: StoredFile) -> str:
        """The text of a message that is only the file."""
        return f"[{'image' if meta.content_type.startswith('image/') else 'file'}] {meta.name}"

    async def of_contact(self, file_id: str, contact_id: str) -> StoredFile:
        """The contact's own file (NotFound for anyone else's: no hint that it exists)."""
        meta, _ = await self._store.get_file(file_id)
        if meta.contact_id != contact_id:
            raise NotFound("no such file")
        return meta
