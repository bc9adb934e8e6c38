"""A WeChat message in the hub's terms: its text (what the bot and the agent read) and its details (meta).

Only text and recognised speech are readable by the bot; a picture, a video, a location, a link or a type
we do not model is stored with its details (an unknown type keeps its raw XML) for the agent, and the hub
tells the customer what the bot can read.
"""

from __future__ import annotations

from connectors.wechat.payloads import Envelope, Image, Link, Location, Message, Text, Unknown, Video, Voice
from hub.envelopes import InboundMessage
from hub.models import Channel


def address(appid: str, openid: str) -> str:
    """A follower's identity on the WeChat channel: OpenIDs are unique per account only."""
    return f"{appid}:{openid}"


def openid_of(to: str) -> tuple[str, str]:
    """(appid, openid) of an address."""
    appid, _, openid = to.partition(":")
    return appid, openid


def _text_and_meta(message: Envelope) -> tuple[str, dict[str, str], bool]:
    match message:
        case Text(content=content):
            return content, {}, True
        case Voice(recognition=str(heard)) if heard.strip():
            return heard, {"wechat_type": "voice", "media_id": message.media_id, "format": message.format,
                           "recognition": "wechat"}, True
        case Voice():
            return "[voice]", {"wechat_type": "voice", "media_id": message.media_id, "format": message.format}, False
        case Image():
            return "[image]", {"wechat_type": "image", "pic_url": message.pic_url, "media_id": message.media_id}, False
        case Video():
            return f"[{message.msg_type}]", {"wechat_type": message.msg_type, "media_id": message.media_id,
                                              "thumb_media_id": message.thumb_media_id}, False
        case Location():
            place = f"{message.label} " if message.label else ""
            return f"[location] {place}({message.latitude}, {message.longitude})", {
                "wechat_type": "location", "latitude": str(message.latitude), "longitude": str(message.longitude),
                "scale": str(message.scale), "label": message.label}, False
        case Link():
            return f"[link] {message.title} {message.url}", {
                "wechat_type": "link", "title": message.title, "description": message.description,
                "url": message.url}, False
        case Unknown():
            return f"[unsupported WeChat message: {message.msg_type}]", {
                "wechat_type": message.msg_type, "raw_xml": message.raw_xml}, False
    raise TypeError(f"not a message: {type(message).__name__}")


def inbound(message: Message | Unknown, conversation_id: str, contact_id: str,
            kept: dict[str, str] | None = None) -> InboundMessage:
    """``kept``: the attachment the media was kept as (file_id, file_name, content_type, size), if it was."""
    text, meta, readable = _text_and_meta(message)
    meta = {**meta, **(kept or {})}
    external = f"{message.to_user}:{message.msg_id}" if message.msg_id is not None else None
    return InboundMessage(channel=Channel.WECHAT, conversation_id=conversation_id, contact_id=contact_id, text=text,
                          external_id=external, meta=meta, readable=readable)


def menu_inbound(key: str, text: str | None, queue_id: str | None, conversation_id: str,
                 contact_id: str) -> InboundMessage:
    """A menu key: the question it stands for, or a request for a person in its queue."""
    return InboundMessage(channel=Channel.WECHAT, conversation_id=conversation_id, contact_id=contact_id,
                          text=text or f"[menu] {key}", meta={"wechat_type": "menu", "key": key}, queue_id=queue_id)
