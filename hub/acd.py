"""The pipeline's side of the ACD: which queue a conversation joins and how it is placed there, which
queues an agent takes conversations from, and with what capacity (``Pipeline.acd``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from hub.models import Channel, Contact, Conversation, Role, User, ms, utcnow
from hub.routing.queues import (
    DEFAULT_QUEUE,
    MEDIA,
    VIP_WEIGHT,
    Outside,
    QueueSpec,
    Strategy,
    is_open,
    memberships,
    queue_score,
    steps,
    tier_after,
)
from hub.routing.router import Moved, Routed, agent_trigger, queue_trigger

if TYPE_CHECKING:
    from hub.pipeline import Pipeline


TEXTS = {
    "closed": {"en": "We are closed right now.", "zh": "现在是非工作时间。"},
    "full": {"en": "All our agents are busy and the queue is full.", "zh": "所有客服都在忙，排队人数已满。"},
    Outside.BOT_ONLY: {"en": "I can keep helping you here, or please come back during our opening hours.",
                       "zh": "我可以继续为您解答，或请在工作时间再联系人工客服。"},
    Outside.TICKET: {"en": "Your message is kept, and an agent will answer it as soon as we can.",
                     "zh": "您的留言已记录，客服会尽快回复您。"},
    Outside.CALLBACK: {"en": "An agent will call you back as soon as we can.",
                       "zh": "客服会尽快给您回电。"},
    "try_later": {"en": "I can keep helping you here, or please try again in a little while.",
                  "zh": "我可以继续为您解答，或请稍后再联系人工客服。"},
    "long_wait": {"en": "Sorry for the wait.", "zh": "抱歉让您久等了。"},
    "leave_ticket": {"en": "You can keep waiting, or leave your message here and close this window: an agent will "
                           "answer it as soon as possible.",
                     "zh": "您可以继续等待，也可以直接留言后离开，客服会尽快回复您。"},
    "leave_callback": {"en": "You can keep waiting, or leave your phone number here: an agent will call you back.",
                       "zh": "您可以继续等待，也可以留下电话号码，客服会给您回电。"},
}


@dataclass(frozen=True, slots=True)
class Refusal:
    """The queue cannot take the conversation now: what the customer is told, and what happens instead."""

    why: str  # "closed" (business hours, holidays) or "full" (max length)
    outside: Outside
    text: str

    @property
    def reason(self) -> str:
        """The handoff reason agents see when it is queued anyway (a ticket or a callback)."""
        return f"{self.why}_{self.outside.value}"


def lang_of(contact: Contact) -> str:
    """"zh" or "en": the language the hub speaks to this contact in."""
    return "zh" if (contact.locale or "").lower().startswith("zh") else "en"


def _join(lang: str, *sentences: str) -> str:
    """Chinese sentences follow each other without a space."""
    return ("" if lang == "zh" else " ").join(sentences)


class Acd:
    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline

    @property
    def queues(self) -> dict[str, QueueSpec]:
        return self.pipeline.router.queues

    # ----- agents -----------------------------------------------------------------------------
    def capacities(self, user: User) -> dict[str, int]:
        settings = self.pipeline.settings
        chat = user.capacities["chat"] if "chat" in user.capacities else user.capacity
        return {"chat": settings.agent_capacity if chat is None else chat,  # 0: takes no chats (voice only)
                "voice": user.capacities.get("voice", 1),
                "email": user.capacities.get("email", settings.email_capacity)}

    def memberships(self, user: User) -> list[tuple[str, int, int]]:
        return memberships(user.skills, self.queues)

    # ----- conversations ----------------------------------------------------------------------
    def queue_for(self, channel: Channel, asked: str | None = None) -> QueueSpec:
        """The queue asked for (a menu key, a bot intent, a transfer), else the first serving the channel."""
        if asked is not None and asked in self.queues:
            return self.queues[asked]
        serving = [q for q in self.queues.values() if q.serves(channel)]
        if serving:
            return serving[0]
        return self.queues.get(DEFAULT_QUEUE) or next(iter(self.queues.values()))

    async def refusal(self, queue: QueueSpec, contact: Contact) -> Refusal | None:
        """Outside business hours (or on a holiday), or with the queue at its max length: what instead."""
        hours = queue.hours
        if not is_open(queue, utcnow()):
            assert hours is not None
            lang = lang_of(contact)
            text = hours.announcement or TEXTS["closed"][lang]
            return Refusal("closed", hours.outside, _join(lang, text, TEXTS[hours.outside][lang]))
        if queue.max_length is not None and await self.pipeline.router.waiting(queue.id) >= queue.max_length:
            outside = hours.outside if hours is not None else Outside.BOT_ONLY
            lang = lang_of(contact)
            then = TEXTS["try_later" if outside is Outside.BOT_ONLY else outside][lang]
            return Refusal("full", outside, _join(lang, TEXTS["full"][lang], then))
        return None

    async def overflowed(self, moved: Moved) -> None:
        """A conversation reached an overflow step that offers the customer a ticket or a callback: say so."""
        queue = self.queues.get(moved.queue_id)
        if moved.kind != "overflow" or queue is None or not 1 <= moved.tier <= len(steps(queue)):
            return
        step = steps(queue)[moved.tier - 1]
        if step.offer is None or step.offer is Outside.BOT_ONLY:
            return
        conversation = await self.pipeline.store.get_conversation(moved.conversation_id)
        lang = lang_of(await self.pipeline.store.get_contact(conversation.contact_id))
        text = _join(lang, TEXTS["long_wait"][lang], TEXTS["leave_" + step.offer.value][lang])
        await self.pipeline.say(conversation, Role.SYSTEM, text)

    def priority(self, queue: QueueSpec, contact: Contact) -> float:
        return queue.base_priority + VIP_WEIGHT * contact.vip

    async def wanted(self, queue: QueueSpec, contact: Contact, asked_agent: str | None) -> tuple[str | None,
                                                                                              datetime | None]:
        """The agent the conversation waits for first, and until when: the one asked for, or (sticky
        queues) the contact's last agent."""
        agent = asked_agent
        if agent is None and queue.strategy is Strategy.STICKY:
            agent = await self.pipeline.router.last_agent(contact.id)
        if agent is None:
            return None, None
        return agent, utcnow() + timedelta(seconds=queue.wanted_wait_s)

    async def remember_agent(self, conversation: Conversation) -> None:
        """For sticky queues: who served the contact last (for the longest sticky window of any queue)."""
        window = max((q.sticky_window_s for q in self.queues.values() if q.strategy is Strategy.STICKY), default=0)
        if window and conversation.agent_id:
            await self.pipeline.router.remember_last_agent(conversation.contact_id, conversation.agent_id, window)

    def routed(self, conversation: Conversation) -> Routed:
        queue = self.queue_for(conversation.channel, conversation.queue_id)
        queued_at = conversation.queued_at or conversation.created_at
        return Routed(
            conversation_id=conversation.id, queue_id=queue.id, media=MEDIA[conversation.channel],
            score=queue_score(ms(queued_at), conversation.priority, queue.aging_per_min), queued_ms=ms(queued_at),
            tier=tier_after(queue, (utcnow() - queued_at).total_seconds()),
            wanted_agent=conversation.wanted_agent_id,
            wanted_until_ms=ms(conversation.wanted_until) if conversation.wanted_until else None)

    def triggers(self, routed: Routed) -> list[str]:
        if routed.wanted_agent is not None:
            return [agent_trigger(routed.wanted_agent)]
        return [queue_trigger(routed.queue_id, routed.media)]
