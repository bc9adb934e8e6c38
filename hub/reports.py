"""Supervisor reports: the figures of a period, as pure functions of its conversations (the API gathers them
from the store).

A period is the local dates [from, to) in an IANA time zone; its figures are of the conversations *created*
in it.
- contacts per hour: conversations created in each local hour of the day (0-23), per channel, summed over the
  period's days;
- handle time: of the conversations an agent took and resolved, assigned_at → resolved_at (the part of the
  agent who had it last, as the wallboard counts it);
- hold time: of the handled conversations the agent put on hold at least once, the time on hold (all holds);
- first response: of the conversations an agent took, assigned_at → the first agent message at or after it.
  From assigned_at, not queued_at: the wait before it is the queue's (the wallboard's wait and service level),
  so this measures the agent alone;
- abandon: queued, then resolved without an agent ever taking it, over all queued (as ``hub.routing.stats``);
- containment: never queued (the bot kept it to the end, or it is still with the bot), over the conversations
  where the customer wrote at least once;
- satisfaction: the average of the customers' ratings (1-5), how many gave each score, how many rated;
- per agent: the handled conversations and their average handle time, under the agent's display name.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

import msgspec

from hub.errors import InvalidInput
from hub.models import Channel, Conversation, ConversationState, User, iso

S = ConversationState
MAX_DAYS = 92
SCORES = range(1, 6)
CHANNELS = [channel.value for channel in Channel]
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Period:
    first: date  # the first local day
    end: date  # the day after the last
    zone: ZoneInfo

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.first, time(), self.zone).astimezone(UTC)

    @property
    def end_at(self) -> datetime:
        return datetime.combine(self.end, time(), self.zone).astimezone(UTC)


class Duration(msgspec.Struct, kw_only=True):
    count: int  # conversations measured
    average_s: float | None


class Rate(msgspec.Struct, kw_only=True):
    count: int
    of: int
    rate: float | None  # count / of, 0..1 (None when of is 0)


class HourCount(msgspec.Struct, kw_only=True):
    hour: int  # local, 0-23: conversations created from hour:00 to hour:59
    total: int
    by_channel: dict[str, int]


class Satisfaction(msgspec.Struct, kw_only=True):
    average: float | None
    rated: int
    distribution: dict[int, int]  # score 1-5 → conversations rated so


class AgentFigures(msgspec.Struct, kw_only=True):
    agent_id: str
    name: str
    handled: int
    average_handle_s: float | None


class Report(msgspec.Struct, kw_only=True):
    from_: str = msgspec.field(name="from")
    to: str
    tz: str
    start: str  # the period's first instant, UTC
    end: str  # its end (not included), UTC
    contacts: int
    channels: list[str]
    contacts_per_hour: list[HourCount]
    handle_time: Duration
    hold_time: Duration
    first_response: Duration
    abandon: Rate
    containment: Rate
    satisfaction: Satisfaction
    agents: list[AgentFigures]


# ----- the period asked for ---------------------------------------------------------------------------------
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 1, 1)  # far from the calendar's ends, whatever the time zone


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def _zone(name: str) -> ZoneInfo:
    if name not in _zone_names():
        raise InvalidInput("unknown time zone: use an IANA name such as Asia/Shanghai or UTC", code="bad_timezone")
    return ZoneInfo(name)


def _date(name: str, text: str | None) -> date:
    try:
        if text is not None and _DATE.fullmatch(text) and EARLIEST <= (day := date.fromisoformat(text)) <= LATEST:
            return day
    except ValueError:
        pass
    raise InvalidInput(f"'{name}' must be a date written YYYY-MM-DD, from {EARLIEST} to {LATEST}", code="bad_date")


def parse_period(start: str | None, end: str | None, tz: str | None = None) -> Period:
    """The local dates [start, end) in ``tz`` (UTC when not given); InvalidInput with a stable code if bad."""
    zone = _zone(tz or "UTC")
    first, after = _date("from", start), _date("to", end)
    if after <= first:
        raise InvalidInput("'to' must be after 'from' (the period is from 'from' up to, not including, 'to')",
                           code="bad_range")
    if (after - first).days > MAX_DAYS:
        raise InvalidInput(f"a report covers at most {MAX_DAYS} days", code="range_too_long")
    return Period(first, after, zone)


# ----- the figures ------------------------------------------------------------------------------------------
def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def _rate(count: int, of: int) -> Rate:
    return Rate(count=count, of=of, rate=round(count / of, 3) if of else None)


def taken(conversations: Iterable[Conversation]) -> list[Conversation]:
    """The conversations an agent has (or had, until resolving them)."""
    return [c for c in conversations if c.agent_id and c.assigned_at and c.state in (S.ASSIGNED, S.RESOLVED)]


def handled(conversations: Iterable[Conversation]) -> list[Conversation]:
    return [c for c in taken(conversations) if c.state is S.RESOLVED and c.resolved_at]


def contacts_per_hour(conversations: Iterable[Conversation], zone: ZoneInfo) -> list[HourCount]:
    counts = Counter((c.created_at.astimezone(zone).hour, c.channel.value) for c in conversations)
    return [HourCount(hour=hour, total=sum(counts[(hour, ch)] for ch in CHANNELS),
                      by_channel={ch: counts[(hour, ch)] for ch in CHANNELS}) for hour in range(24)]


def handle_time(conversations: Iterable[Conversation]) -> Duration:
    done = handled(conversations)
    return Duration(count=len(done), average_s=_mean(_seconds(c.assigned_at, c.resolved_at) for c in done))


def hold_time(conversations: Iterable[Conversation]) -> Duration:
    held = [c.held_s for c in handled(conversations) if c.held_s > 0]
    return Duration(count=len(held), average_s=_mean(held))


def first_response(conversations: Iterable[Conversation], replies: Mapping[str, datetime]) -> Duration:
    """``replies``: conversation id → its first agent message at or after ``assigned_at``."""
    waits = [_seconds(c.assigned_at, replies[c.id]) for c in taken(conversations) if c.id in replies]
    return Duration(count=len(waits), average_s=_mean(waits))


def abandon(conversations: Iterable[Conversation]) -> Rate:
    queued = [c for c in conversations if c.queued_at is not None]
    left = [c for c in queued if c.assigned_at is None and c.state is S.RESOLVED]
    return _rate(len(left), len(queued))


def containment(conversations: Iterable[Conversation], spoke: Collection[str]) -> Rate:
    """``spoke``: the ids of conversations with at least one customer message."""
    engaged = [c for c in conversations if c.id in spoke]
    return _rate(sum(1 for c in engaged if c.queued_at is None), len(engaged))


def satisfaction(conversations: Iterable[Conversation]) -> Satisfaction:
    scores = [c.csat for c in conversations if c.csat is not None and c.csat in SCORES]
    counts = Counter(scores)
    return Satisfaction(average=round(sum(scores) / len(scores), 2) if scores else None, rated=len(scores),
                        distribution={score: counts[score] for score in SCORES})


def per_agent(conversations: Iterable[Conversation], users: Iterable[User]) -> list[AgentFigures]:
    names = {u.id: u.display_name or u.username for u in users}
    mine: defaultdict[str, list[Conversation]] = defaultdict(list)
    for c in handled(conversations):
        mine[c.agent_id or ""].append(c)
    figures = [AgentFigures(agent_id=agent_id, name=names.get(agent_id, agent_id), handled=len(done),
                            average_handle_s=handle_time(done).average_s) for agent_id, done in mine.items()]
    return sorted(figures, key=lambda f: (-f.handled, f.name))


def build_report(period: Period, conversations: Iterable[Conversation], replies: Mapping[str, datetime],
                 spoke: Collection[str], users: Iterable[User]) -> Report:
    start, end = period.start_at, period.end_at
    within = [c for c in conversations if start <= c.created_at < end]
    return Report(
        from_=period.first.isoformat(), to=period.end.isoformat(), tz=period.zone.key, start=iso(start),
        end=iso(end), contacts=len(within), channels=CHANNELS, contacts_per_hour=contacts_per_hour(within, period.zone),
        handle_time=handle_time(within), hold_time=hold_time(within), first_response=first_response(within, replies),
        abandon=abandon(within), containment=containment(within, spoke), satisfaction=satisfaction(within),
        agents=per_agent(within, users))
