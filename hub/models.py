"""Entities of the system of record and their enums."""

from __future__ import annotations

import enum
import time
import unicodedata
from datetime import UTC, datetime

import msgspec


def utcnow() -> datetime:
    """Now, in UTC, to the millisecond: the precision every store backend keeps."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def now_ms() -> int:
    """Milliseconds since the epoch: the unit of every time kept in Redis."""
    return time.time_ns() // 1_000_000


def ms(moment: datetime) -> int:
    """A moment as milliseconds since the epoch (see ``now_ms``)."""
    return int(moment.timestamp() * 1000)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as every API and frame shows times."""
    return moment.isoformat().replace("+00:00", "Z")



STORE_INT_MAX = 2**63 - 1  # the largest integer SQLite and MongoDB keep: a bound for numbers clients send

class Channel(enum.StrEnum):
    WEBCHAT = "webchat"
    WECHAT = "wechat"
    EMAIL = "email"
    VOICE = "voice"


class ConversationState(enum.StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


class Role(enum.StrEnum):
    CUSTOMER = "customer"
    BOT = "bot"
    AGENT = "agent"
    SYSTEM = "system"
    SUPERVISOR = "supervisor"  # a whisper to the agent (internal)


class UserRole(enum.StrEnum):
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    EDITOR = "editor"
    REVIEWER = "reviewer"  # an editor who may also approve and publish
    ADMIN = "admin"


CHAT_ROLES = frozenset({UserRole.AGENT, UserRole.SUPERVISOR, UserRole.ADMIN})  # they take conversations
MANAGER_ROLES = frozenset({UserRole.SUPERVISOR, UserRole.ADMIN})  # they watch and step into others' work


class AgentState(enum.StrEnum):
    OFFLINE = "offline"
    READY = "ready"
    NOT_READY = "not_ready"
    WRAP_UP = "wrap_up"  # after-conversation work: no offers until it times out or the agent is ready again


class Contact(msgspec.Struct, kw_only=True):
    id: str
    name: str | None = None
    locale: str | None = None
    created_at: datetime
    vip: int = 0  # 0-5 (the red list): each level moves the contact ahead in the queue
    blocked: bool = False  # the blacklist: never reaches an agent
    note: str | None = None  # why, for supervisors
    attributes: dict[str, str] = {}  # what channels tell of them (a WeChat follower's QR scene, subscribed)


class ContactIdentity(msgspec.Struct, kw_only=True):
    channel: Channel
    external_id: str
    contact_id: str
    created_at: datetime


class Suggested(msgspec.Struct, kw_only=True, frozen=True):
    """A KB answer put before the agent (on handoff, and as agent assist)."""

    ref: str  # article_id@version
    title: str
    answer: str
    score: float = 0.0


class Conversation(msgspec.Struct, kw_only=True):
    id: str
    contact_id: str
    channel: Channel
    state: ConversationState
    created_at: datetime
    updated_at: datetime
    agent_id: str | None = None
    handoff_reason: str | None = None
    queued_at: datetime | None = None
    assigned_at: datetime | None = None  # when an agent took it (the end of its wait)
    resolved_at: datetime | None = None
    last_seq: int = 0
    priority: float = 0.0  # effective priority points at enqueue (VIP); waiting adds more (see queue_score)
    queue_id: str | None = None  # the ACD queue it waits in (or last waited in)
    wanted_agent_id: str | None = None  # offered to this agent only (asked for, or the last one) ...
    wanted_until: datetime | None = None  # ... until then; after that, to anyone in the queue
    handoff_summary: str | None = None  # what the bot tells the agent who takes over
    handoff_suggestions: list[Suggested] = []
    csat: int | None = None  # the customer's satisfaction rating at the end (1-5), when they gave one
    csat_comment: str | None = None
    rated_at: datetime | None = None
    wrap_up_code: str | None = None  # what the agent filed it under when resolving (the desk's codes)
    wrap_up_note: str | None = None
    on_hold_since: datetime | None = None  # the agent put the customer on hold (assigned conversations only)
    held_s: float = 0.0  # time on hold so far, all holds together


class StoredFile(msgspec.Struct, kw_only=True):
    """An attachment kept in the store: a customer's picture or document, a WeChat image or voice message."""

    id: str
    name: str
    content_type: str  # as the hub recognised it from the bytes, never as the sender claimed
    size: int
    created_at: datetime
    contact_id: str | None = None  # the customer who sent it: only they (and staff) may read it


class Message(msgspec.Struct, kw_only=True):
    id: str
    conversation_id: str
    seq: int
    role: Role
    text: str
    channel: Channel
    created_at: datetime
    external_id: str | None = None
    author_id: str | None = None
    source: str | None = None  # bot messages: the article_id@version answered from, or "rephrase"
    internal: bool = False  # for staff only (a supervisor's whisper): never shown or sent to the customer
    meta: dict[str, str] = {}  # the channel's details (a WeChat image's pic_url and media_id, a location...)
    client_id: str | None = None  # the sending client's own id for it (widget, console): in its every event


def username_key(username: str) -> str:
    """What makes a username unique and finds it at sign-in: "Li" and "li" are one user."""
    return unicodedata.normalize("NFKC", username).casefold()


class User(msgspec.Struct, kw_only=True):
    id: str
    username: str
    password_hash: str
    role: UserRole
    created_at: datetime
    display_name: str | None = None
    capacity: int | None = None  # concurrent chats (None: the hub's default)
    capacities: dict[str, int] = {}  # per media ("voice", "email"; "chat" overrides capacity)
    skills: dict[str, int] = {}  # skill → proficiency 1-5
    team: str | None = None
    agent_state: AgentState = AgentState.OFFLINE
    state_changed_at: datetime | None = None
    state_reason: str | None = None  # why not ready: the agent's own ("lunch") or the hub's ("missed")
