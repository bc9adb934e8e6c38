"""Web chat: the customer widget's websocket protocol (see docs/webchat-protocol.md)."""
