"""The store contract: the system of record. Every backend passes tests/contract/test_store.py.

Conventions every backend keeps:
- ids are created by the caller (``hub.ids.new_id``); timestamps are timezone-aware UTC;
- ``add_message`` gives each message the next ``seq`` of its conversation and is idempotent on
  ``(channel, external_id)``: a resend returns the stored message and ``created=False``;
  a resend is recognised before ``open_only`` or ``agent`` is checked;
- ``update_conversation`` is a compare-and-set on the conversation's state, so two processes can
  never both make the same transition;
- absent rows raise ``NotFound``, unique clashes raise ``Conflict``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from hub.errors import Conflict
from hub.models import (
    AgentState,
    Channel,
    Contact,
    ContactIdentity,
    Conversation,
    ConversationState,
    Message,
    Role,
    StoredFile,
    User,
)
from hub.store.knowledge import KnowledgeStore

CONVERSATION_FIELDS = frozenset(
    {"state", "agent_id", "priority", "handoff_reason", "handoff_summary", "handoff_suggestions", "queued_at",
     "assigned_at", "resolved_at", "updated_at", "queue_id", "wanted_agent_id", "wanted_until", "csat",
     "csat_comment", "rated_at", "wrap_up_code", "wrap_up_note", "on_hold_since", "held_s"}
)


class Appended(NamedTuple):
    """What ``add_message`` did: the stored message, whether it is new, and the conversation after
    the append (None for a resend, which changes nothing)."""

    message: Message
    created: bool
    conversation: Conversation | None


class Store(ABC):
    @abstractmethod
    async def open(self) -> None:
        """Connect and create tables/collections and indexes if missing."""

    @abstractmethod
    async def close(self) -> None: ...

    @property
    @abstractmethod
    def knowledge(self) -> KnowledgeStore:
        """Articles, versions, synonyms, feedback and missed questions (``hub.store.knowledge``)."""

    @abstractmethod
    async def ping(self) -> None:
        """Raise if the backend does not answer."""

    # contacts and their identities per channel
    @abstractmethod
    async def create_contact(self, contact: Contact, identity: ContactIdentity) -> None:
        """Store a contact with its first identity, atomically; Conflict if the identity exists."""

    @abstractmethod
    async def add_identity(self, identity: ContactIdentity) -> None: ...

    @abstractmethod
    async def find_identity(self, channel: Channel, external_id: str) -> ContactIdentity | None: ...

    @abstractmethod
    async def identity_of(self, contact_id: str, channel: Channel) -> ContactIdentity | None:
        """The contact's address on a channel (the first one, should they have several)."""

    @abstractmethod
    async def get_contact(self, contact_id: str) -> Contact: ...

    @abstractmethod
    async def update_contact(self, contact: Contact) -> None:
        """Replace a stored contact (NotFound if it is not stored)."""

    # conversations
    @abstractmethod
    async def create_conversation(self, conversation: Conversation) -> None: ...

    @abstractmethod
    async def get_conversation(self, conversation_id: str) -> Conversation: ...

    @abstractmethod
    async def latest_conversation(self, contact_id: str, channel: Channel) -> Conversation | None: ...

    @abstractmethod
    async def conversations_of_contact(self, contact_id: str, limit: int = 20) -> list[Conversation]:
        """The contact's conversations on every channel, newest first (the agent's screen pop)."""

    @abstractmethod
    async def update_conversation(
        self, conversation_id: str, expect: ConversationState, changes: dict[str, Any],
        expect_agent: str | None = None,
    ) -> Conversation:
        """Apply ``changes`` only if the state is still ``expect`` (and, when ``expect_agent`` is
        given, the conversation is still that agent's); Conflict otherwise."""

    @abstractmethod
    async def conversations_in_state(self, state: ConversationState) -> list[Conversation]:
        """Ordered by ``queued_at`` then ``created_at`` (oldest first)."""

    @abstractmethod
    async def conversations_since(self, moment: datetime) -> list[Conversation]:
        """Every conversation queued (or, never queued, created) at or after ``moment``, in any state: the
        day's traffic, for statistics."""

    @abstractmethod
    async def conversations_between(self, start: datetime, end: datetime) -> list[Conversation]:
        """Every conversation created in [start, end), in any state, oldest first: a period's traffic, for
        reports."""

    @abstractmethod
    async def conversations_of_agent(
        self, agent_id: str, states: Sequence[ConversationState]
    ) -> list[Conversation]: ...

    # messages
    @abstractmethod
    async def add_message(self, message: Message, *, open_only: bool = False, agent: str | None = None) -> Appended:
        """Store with the next seq (``message.seq`` is ignored), in one round trip.

        With ``open_only``, a resolved conversation takes no message: Conflict (code
        ``conversation_resolved``), so the caller can decide between reopening and a new conversation.
        With ``agent``, only a conversation assigned to that agent takes it: Conflict (``not_assigned``).
        """

    @abstractmethod
    async def find_message(self, channel: Channel, external_id: str) -> Message | None:
        """The message stored under ``(channel, external_id)``, if any (what a resend is answered with)."""

    @abstractmethod
    async def messages(self, conversation_id: str, after_seq: int = 0, limit: int = 500) -> list[Message]:
        """Messages with seq > after_seq, oldest first."""

    @abstractmethod
    async def first_message_times(self, starts: Mapping[str, datetime], role: Role) -> dict[str, datetime]:
        """For each conversation id in ``starts``: when its first ``role`` message at or after that moment
        was written (conversations without one are left out). A few round trips for any number of
        conversations: agents' first responses and who spoke at all, for reports."""

    # users and agents
    @abstractmethod
    async def add_user(self, user: User) -> None:
        """Conflict when another user's name is the same regardless of case (``models.username_key``)."""

    @abstractmethod
    async def get_user(self, user_id: str) -> User: ...

    @abstractmethod
    async def get_user_by_name(self, username: str) -> User | None:
        """The user whose name is ``username`` regardless of case; their name as written is kept."""

    @abstractmethod
    async def list_users(self) -> list[User]: ...

    @abstractmethod
    async def set_agent_state(self, user_id: str, state: AgentState, at: datetime, reason: str | None = None) -> None:
        """The agent's presence state, since when, and (not ready) why."""

    @abstractmethod
    async def update_user(self, user_id: str, changes: dict[str, Any]) -> User:
        """Change a user's profile (``USER_FIELDS``: skills, team, capacities, name, role); returns it."""

    # configuration documents (the queue set, ...)
    @abstractmethod
    async def put_file(self, meta: StoredFile, data: bytes) -> None:
        """Keep an attachment (Conflict if the id is taken)."""

    @abstractmethod
    async def get_file(self, file_id: str) -> tuple[StoredFile, bytes]:
        """An attachment and its bytes (NotFound)."""

    @abstractmethod
    async def get_config(self, name: str) -> str | None: ...

    @abstractmethod
    async def put_config(self, name: str, text: str) -> None: ...


USER_FIELDS = frozenset({"display_name", "role", "capacity", "capacities", "skills", "team"})


def check_user_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - USER_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def check_changes(changes: dict[str, Any]) -> None:
    unknown = set(changes) - CONVERSATION_FIELDS
    if unknown:
        raise ValueError(f"not updatable: {sorted(unknown)}")


def resolved_conflict() -> Conflict:
    return Conflict("the conversation is resolved", code="conversation_resolved")


def agent_conflict() -> Conflict:
    return Conflict("the conversation is no longer assigned to you", code="not_assigned")


ID_BATCH = 500  # conversation ids per query: well under SQLite's bound on parameters


def batches(ids: Sequence[str], size: int = ID_BATCH) -> Iterator[Sequence[str]]:
    for at in range(0, len(ids), size):
        yield ids[at:at + size]


def earliest_since(times: Iterable[tuple[str, datetime]], starts: Mapping[str, datetime]) -> dict[str, datetime]:
    """Of (conversation id, moment) pairs, the earliest moment per conversation at or after its start."""
    found: dict[str, datetime] = {}
    for conversation_id, moment in times:
        best = found.get(conversation_id)
        if moment >= starts[conversation_id] and (best is None or moment < best):
            found[conversation_id] = moment
    return found
