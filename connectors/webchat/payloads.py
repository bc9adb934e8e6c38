"""The web chat protocol's frames, and their decoding with errors in the protocol's own terms."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from hub.envelopes import MessageEvent
from hub.models import STORE_INT_MAX

Short = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class Hello(msgspec.Struct, forbid_unknown_fields=False, kw_only=True):
    token: Token | None = None
    name: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    locale: Annotated[str, msgspec.Meta(max_length=35)] | None = None
    after_seq: Annotated[int, msgspec.Meta(ge=0, le=STORE_INT_MAX)] = 0
    conversation_id: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # what after_seq counts in


class Say(msgspec.Struct, kw_only=True):
    client_id: Short
    text: str
    file_id: Short | None = None  # an attachment uploaded first (POST /api/webchat/files); the text may be empty


class Ping(msgspec.Struct, kw_only=True):
    pass


class Rate(msgspec.Struct, kw_only=True):
    """The customer's verdict on one bot answer (the ``message`` event's ``id``)."""

    message_id: Short
    helpful: bool
    comment: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


class Typing(msgspec.Struct, kw_only=True):
    """The customer is typing (send at most every few seconds while they do)."""


class Survey(msgspec.Struct, kw_only=True):
    """The customer's rating of the whole conversation, once it is resolved."""

    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


FRAMES: dict[str, type[msgspec.Struct]] = {"hello": Hello, "message": Say, "ping": Ping, "feedback": Rate,
                                           "survey": Survey, "typing": Typing}


class Welcome(msgspec.Struct, tag="welcome", tag_field="type", kw_only=True):
    conversation_id: str
    token: str
    history: list[MessageEvent]


class Ack(msgspec.Struct, tag="ack", tag_field="type", kw_only=True):
    client_id: str
    id: str
    conversation_id: str


class Pong(msgspec.Struct, tag="pong", tag_field="type"):
    pass


class FeedbackReceived(msgspec.Struct, tag="feedback_received", tag_field="type", kw_only=True):
    message_id: str


class SurveyReceived(msgspec.Struct, tag="survey_received", tag_field="type", kw_only=True):
    conversation_id: str
    rating: int


class ErrorFrame(msgspec.Struct, tag="error", tag_field="type", kw_only=True, omit_defaults=True):
    code: str
    detail: str
    client_id: str | None = None


class ProtocolError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


_decoder = msgspec.json.Decoder()


def _type_of(raw: str) -> tuple[str, dict[str, Any]]:
    try:
        frame = _decoder.decode(raw)
    except msgspec.DecodeError:
        raise ProtocolError("bad_json", "the frame is not valid JSON") from None
    except RecursionError:
        raise ProtocolError("bad_json", "the frame is nested too deeply") from None
    if not isinstance(frame, dict):
        raise ProtocolError("invalid_frame", "a frame must be a JSON object")
    kind = frame.pop("type", None)
    if kind is None:
        raise ProtocolError("missing_field", "`type` is required")
    if not isinstance(kind, str) or kind not in FRAMES:
        shown = str(kind)[:40]
        raise ProtocolError("unknown_type", f"unknown frame type {shown!r}; expected one of {sorted(FRAMES)}")
    return kind, frame


def decode_frame(raw: str) -> msgspec.Struct:
    kind, body = _type_of(raw)
    try:
        return msgspec.convert(body, FRAMES[kind])
    except msgspec.ValidationError as exc:
        text = str(exc)
        if text.startswith("Object missing required field"):
            field = text.split("`")[1] if "`" in text else "a field"
            raise ProtocolError("missing_field", f"`{field}` is required in a {kind} frame") from None
        reason, _, path = text.partition(" - at `$.")
        where = f"`{path.rstrip('`')}` in a {kind} frame" if path else f"a {kind} frame"
        raise ProtocolError("invalid_field", f"{where}: {reason[:1].lower()}{reason[1:]}") from None


def client_id_of(raw: str) -> str | None:
    """The client_id of a frame we could not accept, when one can be read, to echo in the error."""
    try:
        frame = _decoder.decode(raw)
    except (msgspec.DecodeError, RecursionError):
        return None
    value = frame.get("client_id") if isinstance(frame, dict) else None
    return value[:128] if isinstance(value, str) else None


encode = msgspec.json.Encoder().encode
