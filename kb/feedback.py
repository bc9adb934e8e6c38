"""What customers and the bot leave for editors: feedback on answers, and the questions it missed."""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from hub.models import Channel


class Feedback(msgspec.Struct, kw_only=True, frozen=True):
    """A customer's verdict on one bot answer (the latest verdict counts)."""

    message_id: str
    conversation_id: str
    article_ref: str | None  # article_id@version the answer came from
    helpful: bool
    created_at: datetime
    comment: str | None = None


class MissStatus(enum.StrEnum):
    OPEN = "open"
    DRAFTED = "drafted"  # an editor turned it into a draft article
    DISMISSED = "dismissed"


class Miss(msgspec.Struct, kw_only=True):
    """A customer question the bot did not answer, or answered with low confidence."""

    id: str
    text: str
    channel: Channel
    conversation_id: str
    reason: str  # the handoff reason, or "rephrase" when the bot asked again
    confidence: float | None
    best_ref: str | None  # the closest article_id@version, if any
    created_at: datetime
    status: MissStatus = MissStatus.OPEN
    article_id: str | None = None
