"""Decoding web chat frames: every bad input maps to a protocol error code, never an exception."""

from __future__ import annotations

import pytest

from connectors.webchat.payloads import Hello, Ping, ProtocolError, Say, client_id_of, decode_frame


@pytest.mark.parametrize(("raw", "code"), [
    ("{", "bad_json"),
    ("\x00\xff", "bad_json"),
    ("[1, 2]", "invalid_frame"),
    ('"hello"', "invalid_frame"),
    ("{}", "missing_field"),
    ('{"type": "teleport"}', "unknown_type"),
    ('{"type": 7}', "unknown_type"),
    ('{"type": "message", "text": "hi"}', "missing_field"),
    ('{"type": "message", "client_id": "c1"}', "missing_field"),
    ('{"type": "message", "client_id": 5, "text": "hi"}', "invalid_field"),
    ('{"type": "message", "client_id": "", "text": "hi"}', "invalid_field"),
    ('{"type": "message", "client_id": "c1", "text": ["hi"]}', "invalid_field"),
    ('{"type": "hello", "after_seq": -1}', "invalid_field"),
    ('{"type": "hello", "token": ""}', "invalid_field"),
])
def test_bad_frames_get_a_protocol_error(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as raised:
        decode_frame(raw)
    assert raised.value.code == code
    assert "Traceback" not in raised.value.detail and "/" not in raised.value.detail.replace("`$", "")


def test_good_frames_decode() -> None:
    assert decode_frame('{"type":"hello","token":null,"locale":"zh-CN"}') == Hello(locale="zh-CN")
    assert decode_frame('{"type":"message","client_id":"c1","text":"转人工"}') == Say(client_id="c1", text="转人工")
    assert isinstance(decode_frame('{"type":"ping"}'), Ping)


def test_unknown_extra_fields_are_tolerated_for_forward_compatibility() -> None:
    frame = decode_frame('{"type":"message","client_id":"c","text":"x","attachments":[]}')
    assert frame == Say(client_id="c", text="x")


def test_the_client_id_of_a_bad_frame_is_echoed_when_readable() -> None:
    assert client_id_of('{"type":"message","client_id":"c9","text":5}') == "c9"
    assert client_id_of("{") is None
    assert client_id_of('{"client_id": 5}') is None


@pytest.mark.parametrize(("raw", "detail"), [
    ('{"type": "message", "client_id": 5, "text": "hi"}', "`client_id` in a message frame: expected `str`, got `int`"),
    ('{"type": "survey", "rating": 6}', "`rating` in a survey frame: expected `int` <= 5"),
    ('{"type": "hello", "token": null, "after_seq": -1}', "`after_seq` in a hello frame: expected `int` >= 0"),
])
def test_a_bad_field_is_named_in_the_protocols_words(raw: str, detail: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        decode_frame(raw)
    assert (refused.value.code, refused.value.detail) == ("invalid_field", detail)
