"""Queues as configured (API or a YAML/JSON file): who may take a queue's conversations, and in what order.

Pure: no Redis, no store. The Lua matcher applies what these functions say:
- a conversation's **effective priority** is its queue's base priority, plus its contact's VIP level times
  ``VIP_WEIGHT``, plus ``aging_per_min`` for every minute it has waited, so nobody starves;
- an agent is **eligible** for a queue when they have every required skill at the queue's minimum
  proficiency; **overflow** steps, after their time, lower that minimum or admit other queues' agents;
- **business hours** (a weekly timetable in the queue's time zone, minus holidays) decide whether the
  queue takes new conversations, and what the customer gets outside them.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
import yaml

from hub.errors import InvalidInput
from hub.models import Channel

VIP_WEIGHT = 10.0
DEFAULT_QUEUE = "general"
# Agents' capacity is per media: a voice call, chats (web chat and WeChat alike), emails.
MEDIA = {Channel.WEBCHAT: "chat", Channel.WECHAT: "chat", Channel.EMAIL: "email", Channel.VOICE: "voice"}
Proficiency = Annotated[int, msgspec.Meta(ge=1, le=5)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01]?\d|2[0-3]):[0-5]\d$|^24:00$")]  # HH:MM, 24:00 ends a day
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Outside(enum.StrEnum):
    """What a customer gets when the queue is closed (after the closed announcement)."""

    BOT_ONLY = "bot_only"
    TICKET = "ticket"
    CALLBACK = "callback"


class Strategy(enum.StrEnum):
    LONGEST_IDLE = "longest_idle"
    LEAST_OCCUPIED = "least_occupied"
    FEWEST_HANDLED = "fewest_handled"
    ROUND_ROBIN = "round_robin"
    HIGHEST_PROFICIENCY = "highest_proficiency"
    STICKY = "sticky"


# Bounds on what an admin may set: every time and score computed from them stays a finite, storable number.
PRIORITY_LIMIT = 1_000_000.0
YEAR_S = 366 * 24 * 3600
MIN_AGING = 0.001  # per minute; less, and priority ÷ aging (the queue's sort key) is past any number


class OverflowStep(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    after_s: Annotated[int, msgspec.Meta(ge=1, le=YEAR_S)]
    min_proficiency: Proficiency | None = None  # from now on, every required skill at this level is enough
    also_queues: list[Name] = []  # from now on, these queues' eligible agents may take it too
    offer: Outside | None = None  # from now on, offer the customer a ticket or a callback


class Hours(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    timezone: str = "UTC"
    weekly: dict[str, list[tuple[Clock, Clock]]] = {}  # "mon": [["09:00", "12:00"], ["13:00", "18:00"]]
    holidays: list[date] = []
    outside: Outside = Outside.BOT_ONLY
    announcement: str | None = None


class QueueSpec(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    id: Name
    name: str
    channels: list[Channel] = []  # empty: every channel
    skills: dict[Name, Proficiency] = {}  # required skill → minimum proficiency
    base_priority: Annotated[float, msgspec.Meta(ge=-PRIORITY_LIMIT, le=PRIORITY_LIMIT)] = 0.0
    aging_per_min: Annotated[float, msgspec.Meta(ge=0, le=PRIORITY_LIMIT)] = 1.0
    max_wait_s: Annotated[int, msgspec.Meta(ge=1, le=YEAR_S)] | None = None
    max_length: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    strategy: Strategy = Strategy.LONGEST_IDLE
    overflow: list[OverflowStep] = []
    hours: Hours | None = None  # None: always open
    sticky_window_s: Annotated[int, msgspec.Meta(ge=1, le=YEAR_S)] = 24 * 3600  # sticky: the last agent, if this recent
    wanted_wait_s: Annotated[int, msgspec.Meta(ge=0, le=YEAR_S)] = 60  # how long it waits for a wanted agent alone

    def serves(self, channel: Channel) -> bool:
        return not self.channels or channel in self.channels

    @property
    def media(self) -> list[str]:
        return sorted({MEDIA[channel] for channel in (self.channels or list(Channel))})


def default_queues() -> list[QueueSpec]:
    """With nothing configured: one queue for every channel, no skills needed."""
    return [QueueSpec(id=DEFAULT_QUEUE, name="General")]


def effective_priority(queue: QueueSpec, vip_level: int, waited_s: float) -> float:
    return queue.base_priority + VIP_WEIGHT * vip_level + queue.aging_per_min * max(0.0, waited_s) / 60.0


def queue_score(queued_ms: int, priority: float, aging_per_min: float = 1.0) -> int:
    """The waiting queue's sort key: a "virtual arrival time". A conversation's effective priority is
    ``priority + aging_per_min × minutes waited``; arriving ``priority / aging_per_min`` minutes earlier gives
    the same, so ordering by this key (oldest first) is ordering by effective priority (highest first)."""
    if aging_per_min <= 0:
        return queued_ms - int(priority * 1e12)  # no aging: priority first, then arrival
    return queued_ms - int(priority / aging_per_min * 60_000)


def steps(queue: QueueSpec) -> list[OverflowStep]:
    """The queue's timed steps: its overflow steps and, at ``max_wait_s``, one that offers the customer the
    queue's alternative (a callback when it takes callbacks out of hours, else a ticket)."""
    out = list(queue.overflow)
    if queue.max_wait_s is not None:
        offer = Outside.CALLBACK if queue.hours is not None and queue.hours.outside is Outside.CALLBACK \
            else Outside.TICKET
        out.append(OverflowStep(after_s=queue.max_wait_s, offer=offer))
    return sorted(out, key=lambda step: step.after_s)


def steps_reached(queue: QueueSpec, waited_s: float) -> list[OverflowStep]:
    return [step for step in steps(queue) if waited_s >= step.after_s]


def meets(skills: Mapping[str, int], required: Mapping[str, int], floor: int | None = None) -> bool:
    """Every required skill at its minimum proficiency, or at ``floor`` when an overflow step lowered it."""
    return all(skills.get(skill, 0) >= (min(level, floor) if floor is not None else level)
               for skill, level in required.items())


def eligible(skills: Mapping[str, int], queue: QueueSpec, waited_s: float,
             queues: Mapping[str, QueueSpec]) -> bool:
    """May an agent with ``skills`` take a conversation that has waited ``waited_s`` in ``queue``?"""
    reached = steps_reached(queue, waited_s)
    floors = [step.min_proficiency for step in reached if step.min_proficiency is not None]
    if meets(skills, queue.skills, min(floors) if floors else None):
        return True
    return any(meets(skills, queues[other].skills) for step in reached for other in step.also_queues
               if other in queues)


def tier_of(skills: Mapping[str, int], queue: QueueSpec, queues: Mapping[str, QueueSpec]) -> int | None:
    """From which tier an agent with ``skills`` takes the queue's conversations: 0 from the start, k from
    overflow step k on, None never."""
    if meets(skills, queue.skills):
        return 0
    for k, step in enumerate(steps(queue), start=1):
        if eligible(skills, queue, step.after_s, queues):
            return k
    return None


def proficiency(skills: Mapping[str, int], queue: QueueSpec) -> int:
    """How well the agent fits the queue (for highest-proficiency routing): their weakest required skill."""
    return min((skills.get(skill, 0) for skill in queue.skills), default=0)


def memberships(skills: Mapping[str, int], queues: Mapping[str, QueueSpec]) -> list[tuple[str, int, int]]:
    """(queue, tier, proficiency) for every queue the agent may take conversations from."""
    out = []
    for queue in queues.values():
        tier = tier_of(skills, queue, queues)
        if tier is not None:
            out.append((queue.id, tier, proficiency(skills, queue)))
    return out


def tier_after(queue: QueueSpec, waited_s: float) -> int:
    """The tier a conversation that has waited ``waited_s`` is at (the overflow steps it has reached)."""
    return len(steps_reached(queue, waited_s))


def is_open(queue: QueueSpec, moment: datetime) -> bool:
    hours = queue.hours
    if hours is None:
        return True
    local = moment.astimezone(ZoneInfo(hours.timezone))
    if local.date() in hours.holidays:
        return False
    now = local.hour * 60 + local.minute
    return any(minutes(start) <= now < minutes(end) for start, end in hours.weekly.get(WEEKDAYS[local.weekday()], []))


def minutes(clock: str) -> int:
    """Minutes since midnight of an ``HH:MM`` clock time."""
    hour, minute = clock.split(":")
    return int(hour) * 60 + int(minute)


def check(queues: list[QueueSpec]) -> list[QueueSpec]:
    """The queue set, or InvalidInput naming what is wrong with it."""
    ids = [q.id for q in queues]
    if len(set(ids)) != len(ids):
        raise InvalidInput("two queues have the same id", code="invalid_queues")
    known = set(ids)
    for queue in queues:
        for step in queue.overflow:
            unknown = [other for other in step.also_queues if other not in known]
            if unknown:
                raise InvalidInput(f"queue {queue.id}: overflow to unknown queue(s) {', '.join(unknown)}",
                                   code="invalid_queues")
        if 0 < queue.aging_per_min < MIN_AGING:
            raise InvalidInput(f"queue {queue.id}: aging_per_min is 0 (no aging) or at least {MIN_AGING}",
                               code="invalid_queues")
        if [s.after_s for s in queue.overflow] != sorted(s.after_s for s in queue.overflow):
            raise InvalidInput(f"queue {queue.id}: overflow steps must be in time order", code="invalid_queues")
        if queue.hours is not None:
            _check_hours(queue.id, queue.hours)
    return queues


def _check_hours(queue_id: str, hours: Hours) -> None:
    try:
        ZoneInfo(hours.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"queue {queue_id}: unknown time zone {hours.timezone!r}", code="invalid_queues") from None
    for day, spans in hours.weekly.items():
        if day not in WEEKDAYS:
            raise InvalidInput(f"queue {queue_id}: {day!r} is not one of {', '.join(WEEKDAYS)}",
                               code="invalid_queues")
        if any(minutes(end) <= minutes(start) for start, end in spans):
            raise InvalidInput(f"queue {queue_id}: on {day} a span ends before it starts", code="invalid_queues")


def load(text: str) -> list[QueueSpec]:
    """Queues from YAML or JSON (JSON is YAML): ``{"queues": [...]}`` or a bare list."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        raise InvalidInput("the queue file is not valid YAML or JSON", code="invalid_queues") from None
    if isinstance(data, dict):
        data = data.get("queues")
    if not isinstance(data, list):
        raise InvalidInput("the queue file must hold a list of queues (or {queues: [...]})", code="invalid_queues")
    try:
        return check(msgspec.convert(data, list[QueueSpec], strict=False))
    except msgspec.ValidationError as exc:
        raise InvalidInput(f"the queue file: {exc}", code="invalid_queues") from None
