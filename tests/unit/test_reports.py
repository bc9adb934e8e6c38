"""Supervisor reports computed from hand-made conversations: the period, each figure, the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from hub.errors import InvalidInput
from hub.models import Channel, Conversation, ConversationState, User, UserRole
from hub.reports import Period, build_report, parse_period
from hub.reports_csv import filename, report_csv
from hub.routing.stats import queue_stats

S = ConversationState
T0 = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
MARCH_1 = parse_period("2024-03-01", "2024-03-02", "Asia/Shanghai")
_n = iter(range(1_000_000))


def conv(state: S = S.BOT, at: datetime = T0, channel: Channel = Channel.WEBCHAT, queued: float | None = None,
         assigned: float | None = None, resolved: float | None = None, agent: str | None = None,
         csat: int | None = None) -> Conversation:
    """A conversation created ``at``; queued, assigned and resolved so many seconds after that."""
    def later(s: float | None) -> datetime | None:
        return None if s is None else at + timedelta(seconds=s)

    return Conversation(id=f"c{next(_n)}", contact_id="k", channel=channel, state=state, created_at=at,
                        updated_at=at, queued_at=later(queued), assigned_at=later(assigned),
                        resolved_at=later(resolved), agent_id=agent, csat=csat)


def user(user_id: str, name: str | None = None) -> User:
    return User(id=user_id, username=user_id, password_hash="x", role=UserRole.AGENT, created_at=T0,
                display_name=name)


def report(conversations: list[Conversation], period: Period = MARCH_1, replies: dict[str, datetime] | None = None,
           spoke: set[str] | None = None, users: list[User] | None = None):
    return build_report(period, conversations, replies or {}, spoke if spoke is not None else
                        {c.id for c in conversations}, users or [])


def test_a_period_is_local_midnight_to_local_midnight_in_its_time_zone() -> None:
    assert MARCH_1.start_at == datetime(2024, 2, 29, 16, 0, tzinfo=UTC)
    assert MARCH_1.end_at == datetime(2024, 3, 1, 16, 0, tzinfo=UTC)
    utc = parse_period("2024-03-01", "2024-03-08")
    assert (utc.zone.key, utc.start_at, utc.end_at) == ("UTC", datetime(2024, 3, 1, tzinfo=UTC),
                                                        datetime(2024, 3, 8, tzinfo=UTC))
    spring = parse_period("2024-03-31", "2024-04-01", "Europe/Berlin")  # a 23-hour day
    assert spring.end_at - spring.start_at == timedelta(hours=23)


@pytest.mark.parametrize(("start", "end", "tz", "code"), [
    ("2024-03-01", "2024-03-02", "Mars/Olympus", "bad_timezone"),
    ("2024-03-01", "2024-03-02", "../../etc/passwd", "bad_timezone"),
    ("2024-3-1", "2024-03-02", None, "bad_date"),
    ("2024-02-30", "2024-03-02", None, "bad_date"),
    ("20240301", "2024-03-02", None, "bad_date"),
    (None, "2024-03-02", None, "bad_date"),
    ("2024-03-01", "yesterday", None, "bad_date"),
    ("2024-03-02", "2024-03-01", None, "bad_range"),
    ("2024-03-01", "2024-03-01", None, "bad_range"),
    ("2024-01-01", "2024-04-03", None, "range_too_long"),
])
def test_a_bad_period_is_refused_with_a_stable_code(start: str | None, end: str | None, tz: str | None,
                                                    code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_period(start, end, tz)
    assert refused.value.code == code and refused.value.detail


def test_ninety_two_days_is_the_longest_period() -> None:
    assert parse_period("2024-01-01", "2024-04-02").end == date(2024, 4, 2)


def test_contacts_fall_in_their_local_hour_and_the_period_ends_at_local_midnight() -> None:
    late = conv(at=datetime(2024, 3, 1, 15, 30, tzinfo=UTC), channel=Channel.WECHAT)  # 23:30 on 1 March
    next_day = conv(at=datetime(2024, 3, 1, 16, 10, tzinfo=UTC))  # 00:10 on 2 March: outside
    early = conv(at=datetime(2024, 2, 29, 16, 0, tzinfo=UTC), channel=Channel.EMAIL)  # 00:00 on 1 March
    before = conv(at=datetime(2024, 2, 29, 15, 59, 59, tzinfo=UTC))  # 23:59:59 on 29 February: outside
    morning = [conv(), conv(channel=Channel.VOICE), conv(at=T0 + timedelta(minutes=59))]  # 10:00-10:59
    figures = report([late, next_day, early, before, *morning])
    assert figures.contacts == 5 and len(figures.contacts_per_hour) == 24
    hours = {h.hour: h for h in figures.contacts_per_hour if h.total}
    assert set(hours) == {0, 10, 23}
    assert hours[23].by_channel == {"webchat": 0, "wechat": 1, "email": 0, "voice": 0}
    assert hours[0].by_channel["email"] == 1
    assert hours[10].total == 3 and hours[10].by_channel == {"webchat": 2, "wechat": 0, "email": 0, "voice": 1}
    in_utc = report([late, next_day, early, before], parse_period("2024-03-01", "2024-03-02"))
    assert {h.hour: h.total for h in in_utc.contacts_per_hour if h.total} == {15: 1, 16: 1}


def test_handle_time_is_assignment_to_resolution_of_conversations_an_agent_took_and_resolved() -> None:
    done = [conv(S.RESOLVED, queued=10, assigned=20, resolved=80, agent="a1"),
            conv(S.RESOLVED, queued=10, assigned=30, resolved=150, agent="a1"),
            conv(S.RESOLVED, queued=5, assigned=5, resolved=35, agent="a2")]
    ongoing = conv(S.ASSIGNED, queued=1, assigned=2, agent="a1")
    abandoned = conv(S.RESOLVED, queued=1, resolved=100)
    bot_only = conv(S.RESOLVED, resolved=500)
    figures = report([*done, ongoing, abandoned, bot_only], users=[user("a1", "陈静"), user("a2")])
    assert (figures.handle_time.count, figures.handle_time.average_s) == (3, 70.0)
    assert [(a.agent_id, a.name, a.handled, a.average_handle_s) for a in figures.agents] == [
        ("a1", "陈静", 2, 90.0), ("a2", "a2", 1, 30.0)]


def test_hold_time_is_of_the_handled_conversations_that_were_held() -> None:
    held = [msgspec.structs.replace(conv(S.RESOLVED, queued=0, assigned=1, resolved=300, agent="a1"), held_s=s)
            for s in (30.0, 90.0)]
    never = conv(S.RESOLVED, queued=0, assigned=1, resolved=60, agent="a1")
    ongoing = msgspec.structs.replace(conv(S.ASSIGNED, queued=0, assigned=1, agent="a1"), held_s=500.0)
    figures = report([*held, never, ongoing])
    assert (figures.hold_time.count, figures.hold_time.average_s) == (2, 60.0)
    assert report([never]).hold_time.average_s is None


def test_first_response_runs_from_assignment_to_the_agents_first_reply() -> None:
    quick = conv(S.RESOLVED, queued=0, assigned=100, resolved=400, agent="a1")
    slow = conv(S.ASSIGNED, queued=0, assigned=10, agent="a1")
    silent = conv(S.ASSIGNED, queued=0, assigned=10, agent="a1")
    waiting = conv(S.QUEUED, queued=0)
    replies = {quick.id: T0 + timedelta(seconds=104), slow.id: T0 + timedelta(seconds=40),
               waiting.id: T0 + timedelta(seconds=1)}  # no agent took it: not counted
    figures = report([quick, slow, silent, waiting], replies=replies)
    assert (figures.first_response.count, figures.first_response.average_s) == (2, 17.0)


def test_abandon_rate_counts_what_the_wallboard_counts_as_abandoned() -> None:
    conversations = [conv(S.RESOLVED, queued=5, resolved=50),  # left the queue
                     conv(S.RESOLVED, queued=5, assigned=9, resolved=50, agent="a1"),
                     conv(S.ASSIGNED, queued=5, assigned=9, agent="a1"),
                     conv(S.QUEUED, queued=5),  # still waiting: not abandoned (yet)
                     conv(S.RESOLVED, resolved=3)]  # never queued
    figures = report(conversations)
    assert (figures.abandon.count, figures.abandon.of, figures.abandon.rate) == (1, 4, 0.25)
    wallboard = queue_stats("general", conversations, T0 + timedelta(minutes=5), {}, 0)
    assert (wallboard.abandoned_today, wallboard.offered_today) == (figures.abandon.count, figures.abandon.of)


def test_containment_is_never_queued_over_conversations_the_customer_wrote_in() -> None:
    answered = conv(S.RESOLVED, resolved=60)
    still_with_bot = conv(S.BOT)
    handed_off = conv(S.RESOLVED, queued=5, assigned=9, resolved=50, agent="a1")
    back_to_bot = conv(S.BOT, queued=5)  # an agent gave it back: it left the bot once
    no_customer_words = conv(S.RESOLVED, resolved=1)
    figures = report([answered, still_with_bot, handed_off, back_to_bot, no_customer_words],
                     spoke={answered.id, still_with_bot.id, handed_off.id, back_to_bot.id})
    assert (figures.containment.count, figures.containment.of, figures.containment.rate) == (2, 4, 0.5)


def test_satisfaction_is_the_average_rating_its_distribution_and_how_many_rated() -> None:
    ratings = [5, 5, 4, 1, None, None]
    figures = report([conv(S.RESOLVED, resolved=9, csat=r) for r in ratings])
    assert figures.satisfaction.rated == 4 and figures.satisfaction.average == 3.75
    assert figures.satisfaction.distribution == {1: 1, 2: 0, 3: 0, 4: 1, 5: 2}


def test_an_empty_period_has_zero_counts_and_no_averages_or_rates() -> None:
    figures = report([])
    assert figures.contacts == 0 and all(h.total == 0 for h in figures.contacts_per_hour)
    assert figures.handle_time.average_s is None and figures.first_response.average_s is None
    assert figures.abandon.rate is None and figures.containment.rate is None
    assert figures.satisfaction.average is None and figures.satisfaction.rated == 0 and figures.agents == []
    assert (figures.from_, figures.to, figures.tz) == ("2024-03-01", "2024-03-02", "Asia/Shanghai")
    assert (figures.start, figures.end) == ("2024-02-29T16:00:00Z", "2024-03-01T16:00:00Z")


def _sections(body: bytes) -> list[list[list[str]]]:
    assert body.startswith(b"\xef\xbb\xbf")
    sections: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(body.decode("utf-8-sig"))):
        if row:
            sections[-1].append(row)
        else:
            sections.append([])
    return sections


def test_the_csv_has_a_byte_order_mark_and_a_section_per_figure() -> None:
    conversations = [conv(S.RESOLVED, queued=0, assigned=10, resolved=70, agent="a1", csat=4),
                     conv(S.RESOLVED, queued=0, resolved=20), conv(S.BOT, channel=Channel.WECHAT)]
    figures = report(conversations, users=[user("a1", "=HYPERLINK(1)")])
    period, summary, per_hour, distribution, agents = _sections(report_csv(figures))
    assert period == [["Period"], ["From", "To (not included)", "Time zone"], ["2024-03-01", "2024-03-02",
                                                                                  "Asia/Shanghai"]]
    values = dict(summary[2:])
    assert values["Contacts"] == "3" and values["Average handle time (s)"] == "60.0"
    assert values["Abandon rate"] == "0.5" and values["Bot containment rate"] == "0.333"
    assert values["Average first response (s)"] == "" and values["Average satisfaction (1-5)"] == "4.0"
    assert values["Put on hold"] == "0" and values["Average hold (s)"] == ""
    assert per_hour[1] == ["Hour", "Web chat", "WeChat", "Email", "Voice", "Total"] and len(per_hour) == 26
    assert per_hour[12] == ["10:00", "2", "1", "0", "0", "3"]
    assert distribution[2:] == [["1", "0"], ["2", "0"], ["3", "0"], ["4", "1"], ["5", "0"]]
    assert agents[2] == ["'=HYPERLINK(1)", "1", "60.0"]  # never a formula in a spreadsheet
    assert filename(figures) == "report-2024-03-01-to-2024-03-02.csv"


def test_the_csv_speaks_chinese_when_asked() -> None:
    figures = report([conv(S.RESOLVED, queued=0, assigned=10, resolved=70, agent="a1")], users=[user("a1", "王芳")])
    body = report_csv(figures, "zh")
    sections = _sections(body)
    assert sections[0][0] == ["统计周期"] and sections[2][1][:3] == ["时段", "网页聊天", "微信"]
    assert sections[4][2] == ["王芳", "1", "60.0"]
