"""The conversation state machine: a pure function of (state, event) to the next state.

    bot ──handoff──► queued ──assign──► assigned ──resolve──► resolved
     │                 ▲  │                │  │                  │
     │                 └──┼───transfer─────┘  └──to_bot──► bot   │
     └──resolve──► resolved ◄──resolve────┘        resolved ──reopen──► bot

A reopened conversation goes back to the bot, which decides again (and today hands it straight to
the queue). Whether a customer message may reopen a resolved conversation depends on the reopen
window: see ``may_reopen``.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from hub.errors import IllegalTransition
from hub.models import ConversationState as S


class Event(enum.StrEnum):
    HANDOFF = "handoff"
    ASSIGN = "assign"
    TRANSFER = "transfer"
    TO_BOT = "to_bot"
    RESOLVE = "resolve"
    REOPEN = "reopen"


TRANSITIONS: dict[tuple[S, Event], S] = {
    (S.BOT, Event.HANDOFF): S.QUEUED,
    (S.BOT, Event.RESOLVE): S.RESOLVED,
    (S.QUEUED, Event.ASSIGN): S.ASSIGNED,
    (S.QUEUED, Event.TO_BOT): S.BOT,
    (S.QUEUED, Event.RESOLVE): S.RESOLVED,
    (S.ASSIGNED, Event.TRANSFER): S.QUEUED,
    (S.ASSIGNED, Event.TO_BOT): S.BOT,
    (S.ASSIGNED, Event.RESOLVE): S.RESOLVED,
    (S.RESOLVED, Event.REOPEN): S.BOT,
}


def next_state(state: S, event: Event) -> S:
    try:
        return TRANSITIONS[(state, event)]
    except KeyError:
        raise IllegalTransition(f"cannot {event.value} a conversation that is {state.value}") from None


def may_reopen(resolved_at: datetime | None, now: datetime, window_s: int) -> bool:
    """A customer message reopens a resolved conversation only within the window after resolution."""
    return resolved_at is not None and now - resolved_at <= timedelta(seconds=window_s)
