"""The conversation state machine, every (state, event) pair."""

from __future__ import annotations

from datetime import timedelta
from itertools import product

import pytest

from hub.errors import IllegalTransition
from hub.lifecycle import TRANSITIONS, Event, may_reopen, next_state
from hub.models import ConversationState as S
from hub.models import utcnow

LEGAL = {
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


def test_the_transition_table_is_exactly_the_documented_one() -> None:
    assert TRANSITIONS == LEGAL


@pytest.mark.parametrize(("state", "event"), list(LEGAL))
def test_legal_transition(state: S, event: Event) -> None:
    assert next_state(state, event) is LEGAL[(state, event)]


ILLEGAL = [pair for pair in product(S, Event) if pair not in LEGAL]


@pytest.mark.parametrize(("state", "event"), ILLEGAL)
def test_illegal_transition_raises(state: S, event: Event) -> None:
    with pytest.raises(IllegalTransition) as raised:
        next_state(state, event)
    assert raised.value.code == "illegal_transition"
    assert state.value in raised.value.detail


def test_every_state_can_reach_resolved_and_resolved_only_reopens() -> None:
    assert all((s, Event.RESOLVE) in LEGAL for s in S if s is not S.RESOLVED)
    assert [e for (s, e) in LEGAL if s is S.RESOLVED] == [Event.REOPEN]


def test_reopen_only_within_the_window() -> None:
    now = utcnow()
    assert may_reopen(now - timedelta(seconds=59), now, window_s=60)
    assert may_reopen(now - timedelta(seconds=60), now, window_s=60)
    assert not may_reopen(now - timedelta(seconds=61), now, window_s=60)
    assert not may_reopen(None, now, window_s=60)
