"""The wallboard's figures and the estimated wait, from a day's conversations."""

from __future__ import annotations

from datetime import timedelta

from hub.models import AgentState, Channel, Conversation, ConversationState, User, UserRole, utcnow
from hub.routing.stats import agents_by_state, estimated_wait_s, queue_stats

S = ConversationState
NOW = utcnow()


def conv(state: S, queued_s_ago: float | None, waited_s: float | None = None, handled_s: float | None = None
         ) -> Conversation:
    queued = NOW - timedelta(seconds=queued_s_ago) if queued_s_ago is not None else None
    assigned = queued + timedelta(seconds=waited_s) if queued and waited_s is not None else None
    resolved = assigned + timedelta(seconds=handled_s) if assigned and handled_s is not None else None
    if state is S.RESOLVED and resolved is None:
        resolved = NOW
    return Conversation(id=f"c{id(object())}", contact_id="k", channel=Channel.WEBCHAT, state=state,
                        created_at=queued or NOW, updated_at=NOW, queued_at=queued, assigned_at=assigned,
                        resolved_at=resolved)


def test_offered_answered_abandoned_and_service_level() -> None:
    day = [conv(S.RESOLVED, 900, waited_s=10, handled_s=300),  # answered in time
           conv(S.RESOLVED, 800, waited_s=40, handled_s=100),  # answered late
           conv(S.ASSIGNED, 100, waited_s=5),  # answered in time, still talking
           conv(S.RESOLVED, 600),  # abandoned while waiting
           conv(S.QUEUED, 90), conv(S.QUEUED, 30),  # waiting
           conv(S.BOT, None)]  # never queued: not counted
    stats = queue_stats("general", day, NOW, {"ready": 1}, free_slots=2)
    assert (stats.offered_today, stats.answered_today, stats.abandoned_today, stats.waiting) == (6, 3, 1, 2)
    assert stats.service_level == 0.5  # 2 in time of 3 answered + 1 abandoned
    assert stats.longest_wait_s == 90 and stats.average_wait_s == round(55 / 3, 1)
    assert stats.average_handle_s == 200
    assert stats.estimated_wait_s == 3 * 200 / 2  # the third in line, two free slots


def test_no_history_means_no_estimate_and_no_service_level() -> None:
    stats = queue_stats("general", [conv(S.QUEUED, 5)], NOW, {}, free_slots=0)
    assert stats.service_level is None and stats.estimated_wait_s is None and stats.average_handle_s is None
    assert estimated_wait_s(1, 120, 0) == 120  # nobody free: as if one slot


def test_agents_by_state_counts_ready_agents_at_capacity_as_busy() -> None:
    def user(name: str, state: AgentState) -> User:
        return User(id=name, username=name, password_hash="", role=UserRole.AGENT, created_at=NOW, agent_state=state)

    users = [user("a", AgentState.READY), user("b", AgentState.READY), user("c", AgentState.NOT_READY),
             user("d", AgentState.OFFLINE), user("e", AgentState.WRAP_UP)]
    assert agents_by_state(users, {"a": (3, 3), "b": (1, 3)}) == {"ready": 1, "busy": 1, "not_ready": 1,
                                                                  "offline": 1, "wrap_up": 1}
