"""The KB API on a real hub: the workflow with its roles, versions, search, synonyms, and bad input."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.clients import Customer
from tests.support.hub import ROOT, HubServer
from tests.support.kb import publish, signed_in

ARTICLE = {"title": "Lost card", "question": "I lost my card, what do I do?",
           "answer": "Freeze it in the app, then order a new one.", "similar": ["my card was stolen"],
           "variants": {"voice": "Freeze the card in the app."}, "category": "Cards/Security", "tags": ["card"]}


@pytest.fixture(scope="module")
def kb_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubServer]:
    with HubServer(tmp_path_factory.mktemp("kb") / "hub", env={"HUB_LOGIN_ATTEMPTS_PER_MIN": "1000"}) as server:
        for name, role in (("ed", "editor"), ("rev", "reviewer"), ("ag", "agent")):
            assert server.add_user(name, "password-" + name, role).returncode == 0
        yield server


@pytest.fixture
async def users(kb_hub: HubServer) -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    clients = {name: await signed_in(kb_hub.http, name, "password-" + name) for name in ("ed", "rev", "ag")}
    yield clients
    for client in clients.values():
        await client.aclose()


async def _step(http: httpx.AsyncClient, article: dict, step: str, **extra) -> httpx.Response:
    return await http.post(f"/api/kb/articles/{article['id']}/{step}", json={"revision": article["revision"], **extra})


async def test_editor_drafts_reviewer_publishes_and_the_bot_can_answer(users: dict[str, httpx.AsyncClient]) -> None:
    ed, rev, ag = users["ed"], users["rev"], users["ag"]
    assert (await ag.post("/api/kb/articles", json=ARTICLE)).status_code == 403  # agents read only
    draft = (await ed.post("/api/kb/articles", json=ARTICLE)).json()
    assert draft["status"] == "draft" and draft["live_version"] is None
    submitted = (await _step(ed, draft, "submit")).json()
    refused = await _step(ed, submitted, "publish")
    assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
    rejected = (await _step(rev, submitted, "reject", note="say which app")).json()
    assert rejected["status"] == "draft" and rejected["review_note"] == "say which app"
    resubmitted = (await _step(ed, rejected, "submit")).json()
    published = (await _step(rev, resubmitted, "publish")).json()
    assert published["status"] == "published" and published["live_version"] == 1

    found = (await ag.get("/api/kb/search", params={"q": "someone stole my card", "channel": "voice"})).json()
    assert found["suggestions"][0]["ref"] == f"{draft['id']}@1"
    assert found["suggestions"][0]["answer"] == "Freeze the card in the app."
    listed = (await ag.get("/api/kb/articles", params={"category": "Cards", "tag": "card"})).json()
    assert [a["id"] for a in listed] == [draft["id"]]
    tree = (await ag.get("/api/kb/categories")).json()
    cards = next(c for c in tree if c["name"] == "Cards")
    assert cards["articles"] >= 1 and cards["children"][0]["path"] == "Cards/Security"


async def test_versions_diff_and_rollback(users: dict[str, httpx.AsyncClient]) -> None:
    rev = users["rev"]
    v1 = await publish(rev, **{**ARTICLE, "title": "Versioned"})
    edited = await rev.put(f"/api/kb/articles/{v1['id']}", json={
        "revision": v1["revision"], "content": {**ARTICLE, "title": "Versioned", "answer": "Call 95555 at once."}})
    assert edited.status_code == 200 and edited.json()["status"] == "draft"
    assert edited.json()["live_version"] == 1  # the published version stays live while the draft is edited
    v2 = (await _step(rev, (await _step(rev, edited.json(), "submit")).json(), "publish")).json()
    assert v2["live_version"] == 2
    changes = (await rev.get(f"/api/kb/articles/{v1['id']}/diff", params={"from": 1, "to": 2})).json()
    assert list(changes) == ["answer"] and "+Call 95555 at once." in changes["answer"]
    rolled = await rev.post(f"/api/kb/articles/{v1['id']}/rollback", json={"revision": v2["revision"], "version": 1})
    assert rolled.status_code == 200 and rolled.json()["live_version"] == 3
    assert rolled.json()["content"]["answer"] == ARTICLE["answer"]
    history = (await rev.get(f"/api/kb/articles/{v1['id']}/versions")).json()
    assert [(v["version"], v["note"]) for v in history] == [(1, None), (2, None), (3, "rollback to 1")]


async def test_disabled_and_archived_articles_are_not_answered(users: dict[str, httpx.AsyncClient]) -> None:
    rev, ag = users["rev"], users["ag"]
    article = await publish(rev, title="Parking", question="Where can I park at the airport?",
                            answer="Car park P2, next to terminal 2.", similar=["airport parking"])

    async def top() -> str | None:
        found = (await ag.get("/api/kb/search", params={"q": "where can I park"})).json()["suggestions"]
        refs = [s["ref"].split("@")[0] for s in found]
        return refs[0] if refs and refs[0] == article["id"] else ("absent" if article["id"] not in refs else "lower")

    assert await top() == article["id"]
    disabled = (await _step(rev, article, "disable")).json()
    assert disabled["live_version"] is None and await top() == "absent"
    enabled = (await _step(rev, disabled, "enable")).json()
    assert await top() == article["id"]
    archived = (await _step(rev, enabled, "archive")).json()
    assert archived["status"] == "archived" and await top() == "absent"
    refused = await _step(users["ed"], archived, "restore")  # its published version would answer again
    assert refused.status_code == 403 and refused.json()["code"] == "role_forbidden"
    restored = (await _step(rev, archived, "restore")).json()
    assert restored["status"] == "draft" and restored["live_version"] == 1


async def test_synonyms_apply_to_search(users: dict[str, httpx.AsyncClient]) -> None:
    ed, rev, ag = users["ed"], users["rev"], users["ag"]
    article = await publish(rev, title="Alipay", question="Can I pay with alipay?", answer="Yes.")
    saved = await ed.put("/api/kb/synonyms", json={"groups": [["alipay", "zfb", "支付宝"], ["", "lonely"]]})
    assert saved.json() == {"groups": [["alipay", "zfb", "支付宝"]]}
    found = (await ag.get("/api/kb/search", params={"q": "pay by zfb"})).json()
    assert found["suggestions"][0]["ref"] == f"{article['id']}@1"
    assert (await ag.put("/api/kb/synonyms", json={"groups": []})).status_code == 403


async def test_a_stale_revision_is_refused_and_changes_nothing(users: dict[str, httpx.AsyncClient]) -> None:
    ed = users["ed"]
    draft = (await ed.post("/api/kb/articles", json={**ARTICLE, "title": "Stale"})).json()
    first = await ed.put(f"/api/kb/articles/{draft['id']}", json={"revision": 1, "content": {**ARTICLE, "title": "A"}})
    second = await ed.put(f"/api/kb/articles/{draft['id']}", json={"revision": 1, "content": {**ARTICLE, "title": "B"}})
    assert first.status_code == 200 and second.status_code == 409 and second.json()["code"] == "stale_revision"
    assert (await ed.get(f"/api/kb/articles/{draft['id']}")).json()["content"]["title"] == "A"


BAD_BODIES = [
    ({}, "invalid_request"),
    ({**ARTICLE, "title": "  "}, "missing_field"),
    ({**ARTICLE, "answer": "x" * 4001}, "too_long"),
    ({**ARTICLE, "variants": {"fax": "no"}}, "invalid_request"),
    ({**ARTICLE, "similar": "not a list"}, "invalid_request"),
    ({**ARTICLE, "valid_from": "2026-02-01T00:00:00Z", "valid_to": "2026-01-01T00:00:00Z"}, "invalid_field"),
    ({**ARTICLE, "valid_from": "yesterday"}, "invalid_request"),
    ({**ARTICLE, "valid_to": "9999-12-31T23:59:59-14:00"}, "invalid_field"),  # past the calendar's end in UTC
]


@pytest.mark.parametrize(("body", "code"), BAD_BODIES)
async def test_bad_article_bodies_get_a_clear_400_and_store_nothing(users: dict[str, httpx.AsyncClient], body: dict,
                                                                  code: str) -> None:
    ed = users["ed"]
    before = len((await ed.get("/api/kb/articles")).json())
    response = await ed.post("/api/kb/articles", json=body)
    assert response.status_code == 400 and response.json()["code"] == code, response.text
    assert "Traceback" not in response.text
    assert len((await ed.get("/api/kb/articles")).json()) == before


async def test_bad_requests_to_every_other_endpoint(users: dict[str, httpx.AsyncClient]) -> None:
    ed, rev = users["ed"], users["rev"]
    draft = (await ed.post("/api/kb/articles", json={**ARTICLE, "title": "Bad input"})).json()
    cases = [
        (ed.get("/api/kb/articles/nope"), 404, "not_found"),
        (ed.post(f"/api/kb/articles/{draft['id']}/fly", json={"revision": 1}), 404, "unknown_step"),
        (ed.post(f"/api/kb/articles/{draft['id']}/submit", json={}), 400, "invalid_request"),
        (ed.post(f"/api/kb/articles/{draft['id']}/submit", json={"revision": 0}), 400, "invalid_request"),
        (ed.post(f"/api/kb/articles/{draft['id']}/restore", json={"revision": 1}), 409, "illegal_transition"),
        (rev.post(f"/api/kb/articles/{draft['id']}/publish", json={"revision": 1}), 409, "illegal_transition"),
        (rev.post(f"/api/kb/articles/{draft['id']}/rollback", json={"revision": 1, "version": 1}), 404, "not_found"),
        (ed.get(f"/api/kb/articles/{draft['id']}/diff", params={"from": 1}), 404, "not_found"),
        (ed.get(f"/api/kb/articles/{draft['id']}/diff"), 400, "invalid_request"),
        (ed.get(f"/api/kb/articles/{draft['id']}/diff", params={"from": 2**63}), 400, "invalid_request"),
        (rev.post(f"/api/kb/articles/{draft['id']}/rollback", json={"revision": 1, "version": 2**63}), 400,
         "invalid_request"),
        (ed.post("/api/kb/import", params={"format": "json"}, content=b"[" * 1000 + b"]" * 1000), 400,
         "invalid_request"),
        (ed.get("/api/kb/search"), 400, "invalid_request"),
        (ed.get("/api/kb/search", params={"q": "x", "channel": "fax"}), 400, "invalid_request"),
        (ed.get("/api/kb/articles", params={"status": "lost"}), 400, "invalid_request"),
        (ed.put("/api/kb/synonyms", json={"groups": "alipay"}), 400, "invalid_request"),
        (ed.put("/api/kb/synonyms", json={"groups": [["x" * 101, "y"]]}), 400, "too_long"),
        (ed.post("/api/kb/misses/draft", json={"miss_ids": [], "title": "t", "answer": "a"}), 400, "invalid_request"),
        (ed.post("/api/kb/misses/draft", json={"miss_ids": ["nope"], "title": "t", "answer": "a"}), 404, "not_found"),
        (ed.post("/api/kb/misses/nope/dismiss"), 404, "not_found"),
        (ed.put(f"/api/kb/articles/{draft['id']}", json={"revision": 1, "content": {"title": "t"}}), 400,
         "invalid_request"),
        (ed.put(f"/api/kb/articles/{draft['id']}", json={"revision": 1, "content": {**ARTICLE, "answer": " "}}),
         400, "missing_field"),
        (ed.put("/api/kb/articles/nope", json={"revision": 1, "content": ARTICLE}), 404, "not_found"),
        (ed.get("/api/kb/articles/nope/versions"), 404, "not_found"),
        (ed.post("/api/kb/bulk", json={"action": "explode", "ids": [draft["id"]]}), 400, "invalid_request"),
        (ed.post("/api/kb/bulk", json={"action": "submit", "ids": []}), 400, "invalid_request"),
        (ed.get("/api/kb/export", params={"format": "xml"}), 400, "invalid_request"),
        (ed.post("/api/kb/import", params={"format": "csv"}, content=b"title,answer\nx,y\n"), 400, "invalid_import"),
        (ed.post("/api/kb/import", params={"format": "json"}, content=b"{}"), 400, "invalid_import"),
    ]
    for request, status, code in cases:
        response = await request
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    async with httpx.AsyncClient(base_url=str(ed.base_url)) as anonymous:
        assert (await anonymous.get("/api/kb/articles")).json()["code"] == "unauthorized"
    unchanged = (await ed.get(f"/api/kb/articles/{draft['id']}")).json()
    assert unchanged["revision"] == 1 and unchanged["status"] == "draft"


async def test_missed_questions_become_a_draft(kb_hub: HubServer, users: dict[str, httpx.AsyncClient]) -> None:
    ed = users["ed"]
    customer, _ = await Customer.open(kb_hub.ws)
    await customer.say("do you sell gift cards")
    await customer.next("message", where=lambda f: f["role"] == "bot")
    await customer.close()
    misses = (await ed.get("/api/kb/misses")).json()
    mine = [m for m in misses if m["text"] == "do you sell gift cards"]
    assert mine and mine[0]["status"] == "open"
    drafted = await ed.post("/api/kb/misses/draft", json={"miss_ids": [mine[0]["id"]], "title": "Gift cards",
                                                          "answer": "Yes, at every counter."})
    assert drafted.status_code == 201 and drafted.json()["content"]["question"] == "do you sell gift cards"
    assert mine[0]["id"] not in [m["id"] for m in (await ed.get("/api/kb/misses")).json()]


async def test_import_export_and_bulk_publish(kb_hub: HubServer, users: dict[str, httpx.AsyncClient]) -> None:
    ed, rev, ag = users["ed"], users["rev"], users["ag"]
    csv_text = ("title,question,answer,similar,answer_voice\n"
                "Pets,Can I bring my dog?,Small pets travel in the cabin.,dog on board|宠物,Small pets may fly.\n"
                "Meals,Is food served?,Meals are served on flights over two hours.,,\n")
    refused = await ed.post("/api/kb/import", params={"format": "csv"},
                            content=csv_text + "Broken,,no question\n")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_import"
    assert "row 4" in refused.json()["detail"]
    assert not [a for a in (await ed.get("/api/kb/articles", params={"q": "Pets"})).json()]  # nothing written
    assert (await ed.post("/api/kb/import", params={"format": "csv", "publish": "true"},
                          content=csv_text)).status_code == 403  # editors import drafts only

    imported = await ed.post("/api/kb/import", params={"format": "csv"}, content=csv_text)
    assert imported.status_code == 201 and [a["status"] for a in imported.json()] == ["draft", "draft"]
    ids = [a["id"] for a in imported.json()]
    submitted = (await ed.post("/api/kb/bulk", json={"action": "submit", "ids": ids})).json()
    assert all(r["ok"] for r in submitted)
    published = (await rev.post("/api/kb/bulk", json={"action": "publish", "ids": [*ids, "nope"]})).json()
    assert [r["ok"] for r in published] == [True, True, False] and published[2]["code"] == "not_found"
    found = (await ag.get("/api/kb/search", params={"q": "can my dog come", "channel": "voice"})).json()
    assert found["suggestions"][0]["answer"] == "Small pets may fly."

    exported = await ag.get("/api/kb/export", params={"format": "json"})
    titles = {a["title"] for a in exported.json()}
    assert {"Pets", "Meals"} <= titles
    as_csv = await ag.get("/api/kb/export", params={"format": "csv"})
    assert as_csv.headers["content-type"].startswith("text/csv") and "dog on board|宠物" in as_csv.text
    bad = await ed.post("/api/kb/import", params={"format": "json"}, content=b"\xff\xfe")
    assert bad.status_code == 400


def test_the_command_line_imports_a_markdown_folder_and_exports(kb_hub: HubServer, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "wifi.md").write_text("---\ntitle: Wifi\nquestion: Is there wifi?\nsimilar: [internet access]\n"
                                    'variants: {voice: "Yes, free wifi."}\n---\nYes: join AIRPORT-FREE.\n',
                                    encoding="utf-8")
    env = {**kb_hub.env}
    done = subprocess.run([sys.executable, "-m", "hub.cli", "kb", "import", str(folder)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "imported 1 article(s) as drafts" in done.stdout, done.stderr
    out = tmp_path / "export"
    done = subprocess.run([sys.executable, "-m", "hub.cli", "kb", "export", "--format", "md", "--out", str(out)],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert any("Yes: join AIRPORT-FREE." in p.read_text(encoding="utf-8") for p in out.glob("*.md"))
    (folder / "bad.md").write_text("---\ntitle: no end", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "hub.cli", "kb", "import", str(folder)], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "bad.md" in done.stderr and "Traceback" not in done.stderr
