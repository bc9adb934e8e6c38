"""The editorial workflow and article checks (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.errors import Conflict, InvalidInput
from hub.models import Channel, utcnow
from kb.articles import TRANSITIONS, Action, ArticleContent, ArticleStatus, checked, diff, next_status
from kb.synonyms import Synonyms, checked_groups

St = ArticleStatus


def content(**changes) -> ArticleContent:
    base = {"title": "Refunds", "question": "How do I get a refund?", "answer": "Open Orders, then Refund."}
    return ArticleContent(**{**base, **changes})


@pytest.mark.parametrize(("status", "action", "after"), [(s, a, t) for (s, a), t in TRANSITIONS.items()])
def test_every_legal_transition(status: ArticleStatus, action: Action, after: ArticleStatus) -> None:
    assert next_status(status, action) is after


ILLEGAL = [(s, a) for s in St for a in Action if (s, a) not in TRANSITIONS]


@pytest.mark.parametrize(("status", "action"), ILLEGAL)
def test_every_illegal_transition_is_refused(status: ArticleStatus, action: Action) -> None:
    with pytest.raises(Conflict) as refused:
        next_status(status, action)
    assert refused.value.code == "illegal_transition"


def test_only_a_review_publishes() -> None:
    assert (St.DRAFT, Action.PUBLISH) not in TRANSITIONS
    assert next_status(next_status(St.DRAFT, Action.SUBMIT), Action.PUBLISH) is St.PUBLISHED


def test_checked_content_is_trimmed_and_deduplicated() -> None:
    tidy = checked(content(similar=[" money back ", "", "money back"], tags=["b", " a ", "b"],
                           category=" Billing / Refunds /",
                           variants={Channel.VOICE: " Say refund. ", Channel.EMAIL: " "}))
    assert tidy.similar == ["money back", "money back"] and tidy.questions() == ["How do I get a refund?", "money back"]
    assert tidy.tags == ["a", "b"] and tidy.category == "Billing/Refunds"
    assert tidy.variants == {Channel.VOICE: "Say refund."}
    assert tidy.answer_for(Channel.VOICE) == "Say refund." and tidy.answer_for(Channel.WEBCHAT) == tidy.answer


@pytest.mark.parametrize(("changes", "code"), [
    ({"title": " "}, "missing_field"), ({"answer": ""}, "missing_field"), ({"question": "x" * 501}, "too_long"),
    ({"similar": ["q"] * 201}, "too_long"), ({"tags": [str(n) for n in range(21)]}, "too_long"),
    ({"variants": {Channel.VOICE: "x" * 4001}}, "too_long"),
])
def test_unstorable_content_is_refused(changes: dict, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checked(content(**changes))
    assert refused.value.code == code


def test_a_validity_window_must_not_be_empty_or_reversed() -> None:
    now = utcnow()
    with pytest.raises(InvalidInput):
        checked(content(valid_from=now, valid_to=now))
    window = checked(content(valid_from=now, valid_to=now + timedelta(days=1)))
    assert window.valid_at(now) and not window.valid_at(now - timedelta(seconds=1))
    assert not window.valid_at(now + timedelta(days=1))


def test_a_time_without_a_zone_is_read_as_utc_to_the_millisecond() -> None:
    naive = datetime(2026, 12, 31, 23, 59, 59, 123456)
    window = checked(content(valid_from=naive - timedelta(days=1), valid_to=naive))
    assert window.valid_to == datetime(2026, 12, 31, 23, 59, 59, 123000, tzinfo=UTC)
    assert window.valid_at(datetime(2026, 12, 31, 12, tzinfo=UTC))  # comparable with zoned times: no TypeError
    mixed = checked(content(valid_from=naive - timedelta(days=1), valid_to=datetime(2027, 1, 1, tzinfo=UTC)))
    assert mixed.valid_from is not None and mixed.valid_from.tzinfo is not None


def test_diff_names_only_what_changed() -> None:
    changes = diff(content(similar=["a"]), content(similar=["a", "b"], answer="Call us."))
    assert set(changes) == {"similar", "answer"}
    assert "+b" in changes["similar"] and "-Open Orders, then Refund." in changes["answer"]


def test_synonyms_rewrite_variants_to_the_group_head() -> None:
    synonyms = Synonyms(checked_groups([["refund", "money back", "reimbursement"], ["宽带", "网络"], ["solo"]]))
    assert synonyms.apply("I want my MONEY BACK") == "i want my refund"
    assert synonyms.apply("reimbursements") == "reimbursements"  # whole words only
    assert synonyms.apply("家里网络断了") == "家里宽带断了"
    assert Synonyms().apply("Ｆｕｌｌ width") == "full width"
