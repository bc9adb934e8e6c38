"""Routing: who gets which waiting conversation. State lives in Redis and changes only through Lua."""

from hub.routing.router import AgentLoad, Offer, Router

__all__ = ["AgentLoad", "Offer", "Router"]
