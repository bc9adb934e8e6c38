"""The knowledge half of the store contract, on every backend."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from hub.errors import Conflict, NotFound
from hub.ids import new_id
from hub.models import Channel, utcnow
from hub.store.base import Store
from kb.articles import Article, ArticleContent, ArticleStatus, ArticleVersion
from kb.feedback import Feedback, Miss, MissStatus


def an_article(title: str = "Refunds", **changes) -> Article:
    now = utcnow()
    content = ArticleContent(title=title, question="How do I get a refund?", answer="Open Orders, then Refund.",
                             similar=["money back", "退款"], variants={Channel.VOICE: "Say refund."},
                             category="Billing/Refunds", tags=["money"], valid_from=now - timedelta(days=1))
    return Article(id=new_id(), content=content, created_at=now, updated_at=now, **changes)


def a_version(article: Article, number: int) -> ArticleVersion:
    return ArticleVersion(article_id=article.id, version=number, content=article.content, published_at=utcnow(),
                          published_by="u1")


async def test_an_article_round_trips_with_every_field(store: Store) -> None:
    article = an_article()
    await store.knowledge.create_article(article)
    assert await store.knowledge.get_article(article.id) == article
    with pytest.raises(Conflict):
        await store.knowledge.create_article(article)
    with pytest.raises(NotFound):
        await store.knowledge.get_article("missing")


async def test_an_update_is_a_compare_and_set_on_the_revision(store: Store) -> None:
    article = an_article()
    await store.knowledge.create_article(article)
    edited = msgspec.structs.replace(article, content=msgspec.structs.replace(article.content, title="Refunds 2"))
    stored = await store.knowledge.update_article(edited, expect_revision=1)
    assert stored.revision == 2 and (await store.knowledge.get_article(article.id)).content.title == "Refunds 2"
    with pytest.raises(Conflict) as stale:
        await store.knowledge.update_article(edited, expect_revision=1)  # a second editor's stale copy
    assert stale.value.code == "stale_revision"
    assert (await store.knowledge.get_article(article.id)).revision == 2
    with pytest.raises(NotFound):
        await store.knowledge.update_article(an_article(), expect_revision=1)


async def test_articles_are_listed_newest_first_and_by_status(store: Store) -> None:
    old = an_article("old")
    new = msgspec.structs.replace(an_article("new", status=ArticleStatus.IN_REVIEW),
                                  updated_at=utcnow() + timedelta(seconds=5))
    for article in (old, new):
        await store.knowledge.create_article(article)
    assert [a.content.title for a in await store.knowledge.list_articles()] == ["new", "old"]
    assert [a.content.title for a in await store.knowledge.list_articles(ArticleStatus.IN_REVIEW)] == ["new"]


async def test_versions_are_kept_and_only_live_ones_are_answerable(store: Store) -> None:
    live, disabled, archived, draft = (an_article(t) for t in ("live", "disabled", "archived", "draft"))
    for article in (live, disabled, archived, draft):
        await store.knowledge.create_article(article)
        await store.knowledge.put_version(a_version(article, 1))
    await store.knowledge.put_version(a_version(live, 2))
    for article, changes in ((live, {"published_version": 2}), (disabled, {"published_version": 1, "enabled": False}),
                             (archived, {"published_version": 1, "status": ArticleStatus.ARCHIVED})):
        await store.knowledge.update_article(msgspec.structs.replace(article, **changes), expect_revision=1)
    assert [(v.article_id, v.version) for v in await store.knowledge.live_versions()] == [(live.id, 2)]
    assert [v.version for v in await store.knowledge.versions(live.id)] == [1, 2]
    assert (await store.knowledge.get_version(live.id, 1)).content == live.content
    with pytest.raises(NotFound):
        await store.knowledge.get_version(live.id, 3)


async def test_an_orphaned_version_is_overwritten(store: Store) -> None:
    article = an_article()
    await store.knowledge.create_article(article)
    await store.knowledge.put_version(a_version(article, 1))
    again = msgspec.structs.replace(a_version(article, 1), note="second try")
    await store.knowledge.put_version(again)
    assert [v.note for v in await store.knowledge.versions(article.id)] == ["second try"]


async def test_synonyms_are_replaced_as_a_whole(store: Store) -> None:
    assert await store.knowledge.get_synonyms() == []
    await store.knowledge.set_synonyms([["refund", "money back"], ["宽带", "网络"]])
    await store.knowledge.set_synonyms([["wifi", "wlan"]])
    assert await store.knowledge.get_synonyms() == [["wifi", "wlan"]]


async def test_the_latest_feedback_on_an_answer_counts(store: Store) -> None:
    first = Feedback(message_id="m1", conversation_id="c1", article_ref="a@1", helpful=True, created_at=utcnow())
    await store.knowledge.put_feedback(first)
    await store.knowledge.put_feedback(msgspec.structs.replace(first, helpful=False, comment="wrong"))
    found = await store.knowledge.feedback_for("m1")
    assert found is not None and not found.helpful and found.comment == "wrong"
    assert await store.knowledge.feedback_for("m2") is None


async def test_missed_questions_are_logged_and_worked_off(store: Store) -> None:
    misses = [Miss(id=new_id(), text=f"q{n}", channel=Channel.WEBCHAT, conversation_id="c", reason="low_confidence",
                   confidence=0.2, best_ref=None, created_at=utcnow() + timedelta(seconds=n)) for n in range(3)]
    for miss in misses:
        await store.knowledge.add_miss(miss)
    assert [m.text for m in await store.knowledge.misses()] == ["q2", "q1", "q0"]
    drafted = await store.knowledge.set_miss_status(misses[0].id, MissStatus.DRAFTED, article_id="a9")
    assert drafted.status is MissStatus.DRAFTED and drafted.article_id == "a9"
    assert [m.text for m in await store.knowledge.misses(MissStatus.OPEN)] == ["q2", "q1"]
    assert [m.text for m in await store.knowledge.misses(limit=1)] == ["q2"]
    assert {m.text for m in await store.knowledge.misses_by_id([misses[0].id, misses[2].id, "nope"])} == {"q0", "q2"}
    assert await store.knowledge.misses_by_id([]) == []
    with pytest.raises(NotFound):
        await store.knowledge.set_miss_status("missing", MissStatus.DISMISSED)
