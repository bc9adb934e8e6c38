"""What every connector shares: its lifecycle, its capabilities, and its small error tree.

Connectors import only ``hub.models``, ``hub.envelopes`` and ``hub.errors``; the pipeline hands them
what they need (a ``ChatHub`` for realtime channels).
"""

from __future__ import annotations

import enum
from typing import Protocol

from hub.envelopes import Delivery, OutboundMessage
from hub.models import Channel


class ConnectorError(Exception):
    """A channel said no. Subclasses tell the hub what to do about it."""


class AuthFailed(ConnectorError):
    """Our credentials for the channel were refused: fix the configuration, do not retry."""


class Retryable(ConnectorError):
    """A passing fault (timeout, rate limit, 5xx): the same request may succeed later."""


class Rejected(ConnectorError):
    """The channel refused this message for good (bad recipient, window closed, content)."""


class Feature(enum.Flag):
    NONE = 0
    REALTIME = enum.auto()  # the customer holds a live socket; events reach them through the bus
    PUSH_API = enum.auto()  # replies go out through the vendor's API (send)


class TextSocket(Protocol):
    """The part of a websocket a realtime connector uses (Litestar's WebSocket fits)."""

    async def receive_text(self) -> str: ...

    async def send_text(self, data: str) -> None: ...

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


class Connector(Protocol):
    channel: Channel
    features: Feature

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class PushConnector(Connector, Protocol):
    """A connector whose replies leave through the vendor's API (``Feature.PUSH_API``)."""

    async def send(self, outbound: OutboundMessage) -> Delivery: ...
