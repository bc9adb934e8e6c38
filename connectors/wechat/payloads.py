"""The WeChat Official Account XML formats: inbound callbacks in, passive replies out.

Parsing refuses oversize bodies before reading them and any DOCTYPE or ENTITY declaration while
reading (no external entities, no entity expansion), then maps the flat ``<xml>`` document onto
typed structs whose field names are WeChat's element names. An element left empty counts as
absent. Types we do not model become ``Unknown``, which keeps the raw XML so it can be stored.
Every bad input is a ``PayloadError`` with a stable code. Nothing here knows about the hub.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Annotated, Any, TypeVar
from xml.parsers import expat

import msgspec
from msgspec import field

MAX_BODY_BYTES = 64 * 1024
MAX_ARTICLES = 8

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Count = Annotated[int, msgspec.Meta(ge=0)]


class PayloadError(Exception):
    """A callback body we cannot accept; ``detail`` is safe to show (it never echoes the body)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Envelope(msgspec.Struct, frozen=True, kw_only=True):
    to_user: str = field(name="ToUserName")  # our account's original id (gh_...)
    from_user: str = field(name="FromUserName")  # the customer's OpenID
    create_time: Count = field(name="CreateTime")
    msg_type: str = field(name="MsgType")


class Message(Envelope, frozen=True, kw_only=True):
    msg_id: Count = field(name="MsgId")


class Text(Message, frozen=True, kw_only=True):
    content: str = field(name="Content")


class Image(Message, frozen=True, kw_only=True):
    pic_url: str = field(name="PicUrl")
    media_id: str = field(name="MediaId")


class Voice(Message, frozen=True, kw_only=True):
    media_id: str = field(name="MediaId")
    format: str = field(name="Format")
    recognition: str | None = field(default=None, name="Recognition")  # only when speech recognition is switched on


class Video(Message, frozen=True, kw_only=True):
    """A ``video`` or a ``shortvideo`` (see ``msg_type``)."""

    media_id: str = field(name="MediaId")
    thumb_media_id: str = field(name="ThumbMediaId")


class Location(Message, frozen=True, kw_only=True):
    latitude: Latitude = field(name="Location_X")
    longitude: Longitude = field(name="Location_Y")
    scale: Count = field(name="Scale")
    label: str = field(default="", name="Label")


class Link(Message, frozen=True, kw_only=True):
    title: str = field(name="Title")
    description: str = field(default="", name="Description")
    url: str = field(name="Url")


class Event(Envelope, frozen=True, kw_only=True):
    event: str = field(name="Event")


class Subscribe(Event, frozen=True, kw_only=True):
    event_key: str | None = field(default=None, name="EventKey")
    scene: str | None = None  # EventKey without its "qrscene_" prefix, when the customer came by a QR code
    ticket: str | None = field(default=None, name="Ticket")


class Unsubscribe(Event, frozen=True, kw_only=True):
    pass


class Scan(Event, frozen=True, kw_only=True):
    """A subscriber scanned one of our parametric QR codes."""

    scene: str = field(name="EventKey")
    ticket: str | None = field(default=None, name="Ticket")


class Click(Event, frozen=True, kw_only=True):
    key: str = field(name="EventKey")  # the menu button's key


class View(Event, frozen=True, kw_only=True):
    url: str = field(name="EventKey")  # the menu link that was opened


class LocationReport(Event, frozen=True, kw_only=True):
    latitude: Latitude = field(name="Latitude")
    longitude: Longitude = field(name="Longitude")
    precision: Annotated[float, msgspec.Meta(ge=0)] = field(name="Precision")


class Unknown(Envelope, frozen=True, kw_only=True):
    event: str | None = field(default=None, name="Event")
    msg_id: Count | None = field(default=None, name="MsgId")
    raw_xml: str


class Encrypted(msgspec.Struct, frozen=True, kw_only=True):
    """The outer envelope of a safe- or compatibility-mode callback."""

    encrypt: str = field(name="Encrypt")
    to_user: str | None = field(default=None, name="ToUserName")


MESSAGES: dict[str, type[Message]] = {
    "text": Text, "image": Image, "voice": Voice, "video": Video, "shortvideo": Video,
    "location": Location, "link": Link,
}
EVENTS: dict[str, type[Event]] = {  # keyed in lower case: WeChat writes SCAN, CLICK, ... but subscribe
    "subscribe": Subscribe, "unsubscribe": Unsubscribe, "scan": Scan, "click": Click, "view": View,
    "location": LocationReport,
}
SCENE_PREFIX = "qrscene_"

S = TypeVar("S", bound=msgspec.Struct)


def _check_size(body: bytes | str) -> None:
    too_big = len(body) > MAX_BODY_BYTES
    if too_big or (isinstance(body, str) and len(body.encode("utf-8")) > MAX_BODY_BYTES):
        raise PayloadError("too_large", f"the body is larger than {MAX_BODY_BYTES} bytes")


def _refuse_dtd(*_: object) -> None:
    raise PayloadError("forbidden_dtd", "DOCTYPE and ENTITY declarations are not accepted")


def _parse_xml(body: bytes | str) -> ET.Element:
    """The root ``<xml>`` element; expat drives ElementTree's builder so a DTD is refused on sight."""
    _check_size(body)
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    parser.StartElementHandler = lambda tag, attrs: builder.start(tag, dict(attrs))
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except expat.ExpatError:
        raise PayloadError("bad_xml", "the body is not well-formed XML") from None
    root = builder.close()
    if root.tag != "xml":
        raise PayloadError("bad_xml", "the root element must be <xml>")
    return root


def _fields(root: ET.Element) -> dict[str, str]:
    return {child.tag: child.text for child in root if len(child) == 0 and child.text}


def _convert(fields: dict[str, Any], kind: type[S]) -> S:
    try:
        return msgspec.convert(fields, kind, strict=False)
    except msgspec.ValidationError as exc:
        raise _field_error(str(exc), kind.__name__) from None


def _field_error(text: str, kind: str) -> PayloadError:
    if text.startswith("Object missing required field"):
        tag = text.split("`")[1]
        return PayloadError("missing_field", f"{kind} callback: `{tag}` is required")
    tag = text.rpartition("$.")[2]
    return PayloadError("invalid_field", f"{kind} callback: `{tag}` has an invalid value")


def _kind_of(fields: dict[str, str]) -> type[Envelope]:
    msg_type = fields.get("MsgType")
    if msg_type is None:
        raise PayloadError("missing_field", "`MsgType` is required")
    if msg_type == "event":
        return EVENTS.get(fields.get("Event", "").lower(), Unknown)
    return MESSAGES.get(msg_type, Unknown)


def _scene(event_key: str | None) -> str | None:
    if event_key is None or not event_key.startswith(SCENE_PREFIX):
        return None
    return event_key.removeprefix(SCENE_PREFIX)


def _raw_text(body: bytes | str) -> str:
    return body if isinstance(body, str) else body.decode("utf-8", errors="replace")


def parse_callback(body: bytes | str) -> Envelope:
    """The typed message or event in a plaintext callback body (or a decrypted ``Encrypt``)."""
    fields: dict[str, Any] = _fields(_parse_xml(body))
    kind = _kind_of(fields)
    if kind is Unknown:
        fields["raw_xml"] = _raw_text(body)
    elif kind is Subscribe:
        fields["scene"] = _scene(fields.get("EventKey"))
    return _convert(fields, kind)


def parse_encrypted(body: bytes | str) -> Encrypted:
    """The ``Encrypt`` of a safe-mode body; compatibility-mode bodies also carry plaintext, ignored here."""
    return _convert(_fields(_parse_xml(body)), Encrypted)


def dedupe_key(parsed: Envelope) -> str:
    """A key that is the same for WeChat's retries of one callback (it retries up to 3 times)."""
    if isinstance(parsed, Message | Unknown) and parsed.msg_id is not None:
        return f"msg:{parsed.msg_id}"
    event = parsed.event if isinstance(parsed, Event | Unknown) and parsed.event else parsed.msg_type
    return f"evt:{parsed.from_user}:{parsed.create_time}:{event}"


# Replies -------------------------------------------------------------------------------------------

_NOT_XML_CHARS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Article(msgspec.Struct, frozen=True, kw_only=True):
    title: str
    description: str = ""
    pic_url: str = ""
    url: str = ""


def _cdata(text: str) -> str:
    """A CDATA section for any text: characters XML cannot carry are dropped, "]]>" is split."""
    safe = _NOT_XML_CHARS.sub("", text).replace("]]>", "]]]]><![CDATA[>")
    return f"<![CDATA[{safe}]]>"


def _element(tag: str, inner: str) -> str:
    return f"<{tag}>{inner}</{tag}>"


def _reply_head(to_user: str, from_user: str, create_time: int, msg_type: str) -> str:
    return (
        _element("ToUserName", _cdata(to_user))
        + _element("FromUserName", _cdata(from_user))
        + _element("CreateTime", str(int(create_time)))
        + _element("MsgType", _cdata(msg_type))
    )


def text_reply(to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply; ``to_user`` is the customer's OpenID, ``from_user`` our account."""
    head = _reply_head(to_user, from_user, create_time, "text")
    return f"<xml>{head}{_element('Content', _cdata(content))}</xml>"


def _article(article: Article) -> str:
    return _element(
        "item",
        _element("Title", _cdata(article.title))
        + _element("Description", _cdata(article.description))
        + _element("PicUrl", _cdata(article.pic_url))
        + _element("Url", _cdata(article.url)),
    )


def news_reply(to_user: str, from_user: str, articles: Sequence[Article], create_time: int) -> str:
    """A passive news (article list) reply of 1 to ``MAX_ARTICLES`` articles."""
    if not 1 <= len(articles) <= MAX_ARTICLES:
        raise ValueError(f"a news reply carries 1 to {MAX_ARTICLES} articles, not {len(articles)}")
    head = _reply_head(to_user, from_user, create_time, "news")
    items = "".join(_article(article) for article in articles)
    return f"<xml>{head}{_element('ArticleCount', str(len(articles)))}{_element('Articles', items)}</xml>"


def encrypted_reply(encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode reply envelope, laid out line for line as in Tencent's WXBizMsgCrypt samples."""
    return (
        "<xml>\n"
        f"{_element('Encrypt', _cdata(encrypt))}\n"
        f"{_element('MsgSignature', _cdata(signature))}\n"
        f"{_element('TimeStamp', _digits(timestamp))}\n"
        f"{_element('Nonce', _cdata(nonce))}\n"
        "</xml>"
    )


def _digits(timestamp: str) -> str:
    if not timestamp.isascii() or not timestamp.isdigit():
        raise ValueError("the timestamp must be decimal digits")
    return timestamp
