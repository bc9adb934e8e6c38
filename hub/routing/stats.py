"""Queue statistics for the wallboard and the customer's estimated wait: pure functions of the day's
conversations (from the store) and the agents' states.

- offered: conversations that entered the queue today; answered: of those, taken by an agent;
  abandoned: resolved (the customer left, or it was closed) before any agent took it;
- service level: answered within ``service_level_s`` over answered plus abandoned (None before any);
- estimated wait for position p: p × the recent average handle time ÷ the ready agents' free chat slots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

import msgspec

from hub.models import AgentState, Conversation, ConversationState, User

S = ConversationState


class QueueStats(msgspec.Struct, kw_only=True):
    queue: str
    waiting: int
    longest_wait_s: float
    offered_today: int
    answered_today: int
    abandoned_today: int
    service_level: float | None  # 0..1
    service_level_s: int
    average_wait_s: float | None
    average_handle_s: float | None
    estimated_wait_s: float | None  # for a conversation entering the queue now
    agents: dict[str, int]  # by state: ready, not_ready, offline, and busy (ready, but at capacity)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def average_handle_s(conversations: Iterable[Conversation]) -> float | None:
    return _mean(_seconds(c.assigned_at, c.resolved_at) for c in conversations if c.state is S.RESOLVED)


def estimated_wait_s(position: int, handle_s: float | None, free_slots: int) -> float | None:
    if handle_s is None or position < 1:
        return None
    return round(position * handle_s / max(1, free_slots), 1)


def agents_by_state(users: Iterable[User], loads: dict[str, tuple[int, int]]) -> dict[str, int]:
    """``loads``: agent id → (load, capacity) for the agents Redis knows."""
    counts: Counter[str] = Counter({state.value: 0 for state in AgentState})
    counts["busy"] = 0
    for user in users:
        load, capacity = loads.get(user.id, (0, 1))
        counts["busy" if user.agent_state is AgentState.READY and load >= capacity else user.agent_state.value] += 1
    return dict(counts)


def queue_stats(queue: str, today: list[Conversation], now: datetime, agents: dict[str, int],
                free_slots: int, service_level_s: int = 20) -> QueueStats:
    entered = [c for c in today if c.queued_at is not None]
    answered = [c for c in entered if c.assigned_at is not None]
    abandoned = [c for c in entered if c.assigned_at is None and c.state is S.RESOLVED]
    waiting = [c for c in entered if c.state is S.QUEUED]
    waits = [_seconds(c.queued_at, c.assigned_at) for c in answered]
    in_time = sum(1 for w in waits if w is not None and w <= service_level_s)
    handle = average_handle_s(today)
    return QueueStats(
        queue=queue, waiting=len(waiting),
        longest_wait_s=round(max((_seconds(c.queued_at, now) or 0.0 for c in waiting), default=0.0), 1),
        offered_today=len(entered), answered_today=len(answered), abandoned_today=len(abandoned),
        service_level=round(in_time / (len(answered) + len(abandoned)), 3) if answered or abandoned else None,
        service_level_s=service_level_s, average_wait_s=_mean(waits), average_handle_s=handle,
        estimated_wait_s=estimated_wait_s(len(waiting) + 1, handle, free_slots), agents=agents)
