"""Attachments over the real HTTP API and web chat protocol: a customer uploads a picture and sends it; the
agent sees it and reads the file back; nobody else can; only real pictures, PDF and text are taken."""

from __future__ import annotations

from urllib.parse import quote

import httpx

from tests.support.clients import Agent, Customer
from tests.support.hub import HubServer

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


async def _upload(http: httpx.AsyncClient, token: str | None, data: bytes, name: str) -> httpx.Response:
    headers = {"x-file-name": quote(name), "content-type": "application/octet-stream"}
    if token is not None:
        headers["x-chat-token"] = token
    return await http.post("/api/webchat/files", content=data, headers=headers)


async def test_a_customer_sends_a_picture_that_only_they_and_staff_can_read(hub: HubServer, agent: Agent) -> None:
    customer, welcome = await Customer.open(hub.ws, name="Chen")
    async with httpx.AsyncClient(base_url=hub.http, timeout=10) as http:
        uploaded = await _upload(http, welcome["token"], PNG, "../../收据 receipt.png")
        assert uploaded.status_code == 201
        picture = uploaded.json()
        assert (picture["name"], picture["content_type"]) == ("收据 receipt.png", "image/png")  # no path
        assert picture["size"] == len(PNG)

        await customer.say("I need a person")
        conversation_id = await agent.accept_next_offer()
        await customer.send({"type": "message", "client_id": "pic-1", "text": "", "file_id": picture["id"]})
        ack = await customer.next("ack")
        assert ack["client_id"] == "pic-1"
        seen = await agent.next("message", where=lambda f: f.get("meta", {}).get("file_id") == picture["id"])
        assert seen["text"] == "[image] 收据 receipt.png" and seen["meta"]["content_type"] == "image/png"
        assert seen["conversation_id"] == conversation_id

        as_staff = await http.get(f"/api/files/{picture['id']}", params={"token": agent.token})
        assert as_staff.status_code == 200 and as_staff.content == PNG
        assert as_staff.headers["content-type"] == "image/png"
        assert as_staff.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in as_staff.headers["content-security-policy"]
        as_owner = await http.get(f"/api/files/{picture['id']}", params={"token": welcome["token"]})
        assert as_owner.content == PNG

        _, other = await Customer.open(hub.ws, name="Someone else")
        stranger = await http.get(f"/api/files/{picture['id']}", params={"token": other["token"]})
        assert stranger.status_code == 404
        # Without a session, or with a made-up one, the file is as unknown as one that never was.
        assert (await http.get(f"/api/files/{picture['id']}")).status_code == 404
        assert (await http.get(f"/api/files/{picture['id']}", params={"token": "made-up"})).status_code == 404
        await customer.send({"type": "message", "client_id": "pic-2", "text": "", "file_id": "not-mine"})
        refused = await customer.next("error")
        assert (refused["code"], refused["client_id"]) == ("unknown_file", "pic-2")


async def test_only_pictures_pdf_and_text_are_taken_and_within_the_limit(hub: HubServer) -> None:
    _, welcome = await Customer.open(hub.ws)
    async with httpx.AsyncClient(base_url=hub.http, timeout=10) as http:
        html = await _upload(http, welcome["token"], b"<html><script>alert(1)</script></html>", "page.png")
        assert html.status_code == 400 and html.json()["code"] == "file_type"
        exe = await _upload(http, welcome["token"], b"MZ\x90\x00" + b"\x00" * 100, "setup.exe")
        assert exe.json()["code"] == "file_type"
        big = await _upload(http, welcome["token"], PNG + b"\x00" * (6 * 1024 * 1024), "huge.png")
        assert big.status_code == 400 and big.json()["code"] == "file_too_large"
        empty = await _upload(http, welcome["token"], b"", "nothing.txt")
        assert empty.json()["code"] == "file_empty"
        text = await _upload(http, welcome["token"], "订单号 12345\n".encode(), "order.txt")
        assert text.status_code == 201 and text.json()["content_type"] == "text/plain; charset=utf-8"
        pdf = await _upload(http, welcome["token"], b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "invoice.pdf")
        assert pdf.json()["content_type"] == "application/pdf"
        assert (await _upload(http, None, PNG, "x.png")).status_code == 401
        assert (await _upload(http, "made-up-token", PNG, "x.png")).status_code == 401
