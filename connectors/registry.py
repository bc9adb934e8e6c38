"""Connector kinds, mapped to their classes explicitly."""

from __future__ import annotations

from connectors.webchat.connector import WebchatConnector
from hub.models import Channel

CONNECTORS: dict[Channel, type] = {
    Channel.WEBCHAT: WebchatConnector,
}
