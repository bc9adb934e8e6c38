"""Queue configuration, effective priority with aging and VIP, skill eligibility with overflow, business hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.errors import InvalidInput
from hub.models import Channel
from hub.routing.queues import (
    VIP_WEIGHT,
    Hours,
    OverflowStep,
    QueueSpec,
    effective_priority,
    eligible,
    is_open,
    load,
    queue_score,
)

CONFIG = """
queues:
  - id: billing
    name: Billing 账单
    channels: [webchat, wechat]
    skills: {billing: 3, mandarin: 2}
    base_priority: 5
    aging_per_min: 2
    overflow:
      - {after_s: 60, min_proficiency: 2}
      - {after_s: 120, also_queues: [general]}
      - {after_s: 300, offer: callback}
    hours:
      timezone: Asia/Shanghai
      weekly: {mon: [["09:00", "12:00"], ["13:00", "18:00"]], sat: [["10:00", "16:00"]]}
      holidays: [2026-10-01]
      outside: ticket
  - id: general
    name: General
    skills: {general: 1}
"""


@pytest.fixture(scope="module")
def queues() -> dict[str, QueueSpec]:
    return {q.id: q for q in load(CONFIG)}


def test_a_yaml_file_loads_every_field(queues: dict[str, QueueSpec]) -> None:
    billing = queues["billing"]
    assert billing.serves(Channel.WECHAT) and not billing.serves(Channel.EMAIL)
    assert queues["general"].serves(Channel.EMAIL)
    assert billing.skills == {"billing": 3, "mandarin": 2} and billing.base_priority == 5
    assert [s.after_s for s in billing.overflow] == [60, 120, 300] and billing.overflow[2].offer == "callback"
    assert billing.hours is not None and billing.hours.weekly["mon"][1] == ("13:00", "18:00")
    assert billing.hours.holidays == [date(2026, 10, 1)]


def test_json_loads_too() -> None:
    assert [q.id for q in load('[{"id": "vip", "name": "VIP line"}]')] == ["vip"]


def test_priority_rises_with_waiting_so_nobody_starves(queues: dict[str, QueueSpec]) -> None:
    billing, general = queues["billing"], queues["general"]
    assert effective_priority(billing, 0, 0) == 5
    assert effective_priority(billing, 1, 0) == 15  # a VIP contact
    assert effective_priority(general, 0, 10 * 60) > effective_priority(billing, 0, 0)  # waited 10 min


def test_overflow_lowers_the_skill_bar_then_admits_another_queue(queues: dict[str, QueueSpec]) -> None:
    billing = queues["billing"]
    expert, junior, generalist = {"billing": 4, "mandarin": 3}, {"billing": 2, "mandarin": 2}, {"general": 1}
    assert eligible(expert, billing, 0, queues)
    assert not eligible(junior, billing, 59, queues) and eligible(junior, billing, 60, queues)
    assert not eligible(generalist, billing, 119, queues) and eligible(generalist, billing, 120, queues)
    assert not eligible({}, billing, 10_000, queues)


def test_business_hours_follow_the_queue_time_zone_and_holidays(queues: dict[str, QueueSpec]) -> None:
    billing = queues["billing"]
    monday_10_shanghai = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert is_open(billing, monday_10_shanghai)
    assert not is_open(billing, datetime(2026, 11, 23, 4, 30, tzinfo=UTC))  # 12:30: lunch
    assert not is_open(billing, datetime(2026, 11, 24, 2, 0, tzinfo=UTC))  # Tuesday: no hours
    assert not is_open(billing, datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # a holiday (a Thursday anyway)
    hours = Hours(timezone="Asia/Shanghai", weekly={"mon": [("09:00", "18:00")]}, holidays=[date(2026, 11, 23)])
    holiday_monday = QueueSpec(id="q", name="q", hours=hours)
    assert not is_open(holiday_monday, monday_10_shanghai)
    assert is_open(queues["general"], monday_10_shanghai)  # no hours: always open


@pytest.mark.parametrize(("text", "fragment"), [
    ("not: [valid", "not valid YAML"),
    ("42", "list of queues"),
    ("[{name: no id}]", "id"),
    ("[{id: a, name: A, skills: {x: 9}}]", "skills"),
    ("[{id: a, name: A}, {id: a, name: B}]", "same id"),
    ("[{id: a, name: A, overflow: [{after_s: 60, also_queues: [nowhere]}]}]", "nowhere"),
    ("[{id: a, name: A, overflow: [{after_s: 60}, {after_s: 30}]}]", "time order"),
    ("[{id: a, name: A, hours: {timezone: Mars/Base}}]", "Mars/Base"),
    ("[{id: a, name: A, hours: {weekly: {funday: []}}}]", "funday"),
    ("[{id: a, name: A, hours: {weekly: {mon: [['18:00', '09:00']]}}}]", "ends before"),
    ("[{id: a, name: A, hours: {weekly: {mon: [['9am', '5pm']]}}}]", "weekly"),
    ("[{id: a, name: A, colour: red}]", "colour"),
])
def test_a_bad_queue_file_is_refused_with_the_reason(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(text)
    assert refused.value.code == "invalid_queues" and fragment in refused.value.detail


def test_an_overflow_step_names_its_time() -> None:
    assert OverflowStep(after_s=60).min_proficiency is None


def test_the_queue_score_orders_by_effective_priority() -> None:
    # a VIP level 1 (10 points) arriving 9 minutes after a regular customer still goes first; at 11 minutes, not
    regular = queue_score(0, 0)
    assert queue_score(9 * 60_000, VIP_WEIGHT) < regular < queue_score(11 * 60_000, VIP_WEIGHT)
    assert queue_score(1000, 0) > queue_score(0, 0)  # same priority: first come, first served
    assert queue_score(10 * 86_400_000, 1, aging_per_min=0) < queue_score(0, 0, aging_per_min=0)  # no aging: priority


def test_the_example_queue_file_is_valid() -> None:
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "queues.example.yaml").read_text(encoding="utf-8")
    queues = {q.id: q for q in load(text)}
    assert list(queues) == ["vip", "broadband", "general"]
    assert queues["broadband"].hours is not None and queues["broadband"].hours.timezone == "Asia/Shanghai"
