"""The bot: decides what it says, or that it hands the conversation to a person."""

from bot.handoff import Policy
from bot.responder import Bot

__all__ = ["Bot", "Policy"]
