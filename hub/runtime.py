"""Everything one hub process runs, started and stopped in order: store, Redis, bus, pipeline, timers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from bot import Bot, Policy
from bot.handoff import DEFAULT_SENSITIVE
from hub.auth import Tokens, hash_password, load_secret
from hub.bus import Bus, EventBus
from hub.coord import Coordination
from hub.flow import close_all
from hub.ids import new_id
from hub.kb_index import LiveKnowledge
from hub.library import Library
from hub.local_bus import LocalBus
from hub.models import User, UserRole, utcnow
from hub.pipeline import Pipeline
from hub.presence import Presence
from hub.queueset import QueueSet
from hub.ratelimit import RateLimiter
from hub.routing import Router
from hub.scripts import Scripts
from hub.settings import Settings
from hub.store import Store, open_store
from hub.upkeep import Upkeep

if TYPE_CHECKING:  # langchain loads only when an LLM is configured (it costs every start half a second)
    from langchain_core.language_models import BaseChatModel

    from bot.writer import GroundedWriter

log = logging.getLogger(__name__)
STATS_DEBOUNCE_S = 0.25


async def stop_task(task: asyncio.Task[None], grace_s: float = 5.0) -> None:
    """Wait for a task that was asked to stop; cancel it if it does not within the grace period."""
    done, _ = await asyncio.wait([task], timeout=grace_s)
    if not done:
        task.cancel()
        await asyncio.wait([task], timeout=grace_s)


class Runtime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store: Store = open_store(settings)
        self.coordination = Coordination(settings)
        self.tokens = Tokens(load_secret(settings.secret_key, settings.data_dir), settings.token_ttl_s)
        self._sweeper: asyncio.Task[None] | None = None
        self._stats: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._next_reconcile = 0.0
        self._next_stats = 0.0
        self._background: dict[str, asyncio.Task[None]] = {}
        self.demo_login: list[tuple[str, str, str]] = []
        self.chat_model: BaseChatModel | None = None

    async def start(self) -> None:
        """Everything, in order; on a failure, what had started is stopped again (the embedded Redis too)."""
        try:
            await self._start()
        except BaseException:
            await close_all(self.coordination.stop(), self.store.close())
            raise

    async def _start(self) -> None:
        await self.store.open()
        redis = await self.coordination.start()
        scripts = self.scripts = Scripts(redis)
        self.limiter = RateLimiter(scripts)
        # A private embedded Redis has no other process behind it: events stay in this one.
        self.bus: EventBus = LocalBus(redis) if self.coordination.embedded else Bus(redis)
        await self.bus.start()
        router = Router(redis, scripts, self.settings.offer_timeout_s)
        self.knowledge = LiveKnowledge(self.settings, self.store, redis)
        await self.knowledge.refresh()
        self.library = Library(self.store, self.knowledge)
        bot = Bot(self.knowledge, self.policy(), await self._writer())
        self.pipeline = Pipeline(self.settings, self.store, router, self.bus, bot,
                                 Presence(redis, self.settings.presence_ttl_s))
        self.queueset = QueueSet(self.pipeline, redis)
        await self.queueset.start()
        self.upkeep = Upkeep(self.pipeline)
        await self.upkeep.rebuild_routing()
        self.demo_login = await self._ensure_demo_users()
        self._sweeper = asyncio.create_task(self._sweep(), name="sweeper")
        self._stats = asyncio.create_task(self._push_stats(), name="queue-stats")

    async def _writer(self) -> GroundedWriter | None:
        """The generative mode, when an LLM is configured (loaded now: a local model takes a moment)."""
        s = self.settings
        if s.llm_kind is None:
            return None
        from bot.llm import make_chat_model
        from bot.writer import GroundedWriter

        self.chat_model = await asyncio.to_thread(
            make_chat_model, s.llm_kind, base_url=s.llm_base_url, api_key=s.llm_api_key, model=s.llm_model,
            model_path=s.llm_model_path, timeout_s=s.llm_timeout_s, max_tokens=s.llm_max_tokens,
            n_threads=s.llm_threads)
        return GroundedWriter(self.chat_model, passages=s.llm_passages, timeout_s=s.llm_timeout_s)

    def policy(self) -> Policy:
        sensitive = DEFAULT_SENSITIVE if self.settings.bot_sensitive is None else self.settings.bot_sensitive
        return Policy(self.settings.bot_threshold, self.settings.bot_max_misses, sensitive)

    async def stop(self) -> None:
        self._stopping.set()
        if self._sweeper is not None:
            await stop_task(self._sweeper)
        if self._stats is not None:
            self.pipeline.queue_changed.set()  # wakes the statistics pusher, which then sees it must stop
            await stop_task(self._stats)
        for task in self._background.values():
            await stop_task(task)
        await self.bus.stop()
        if self.chat_model is not None:
            from bot.llm import close_chat_model

            await close_chat_model(self.chat_model)
        await self.coordination.stop()
        await self.store.close()

    async def ping(self) -> None:
        if not self.bus.alive:
            raise RuntimeError("the event reader has stopped")
        await self.store.ping()
        assert self.coordination.redis is not None
        await self.coordination.redis.ping()

    async def _sweep(self) -> None:
        """Stops on the ``_stopping`` event rather than by cancellation, which a Redis call in flight
        can swallow."""
        failing = False
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.sweep_interval_s)
                return
            try:
                if await self.coordination.revive():
                    log.warning("the embedded redis-server had stopped; started it again (its state is rebuilt "
                                "from the store)")
                await self.queueset.check()
                await self.upkeep.sweep()
                self._in_background("kb", self.knowledge.check)
                if time.monotonic() >= self._next_stats:
                    self._next_stats = time.monotonic() + self.settings.stats_push_s
                    self.pipeline.queue_changed.set()  # the figures age (waits grow) even when nothing moves
                if time.monotonic() >= self._next_reconcile:
                    self._next_reconcile = time.monotonic() + self.settings.reconcile_interval_s
                    await self.upkeep.reconcile()
                    self._in_background("kb", self.knowledge.refresh)  # also catches command-line changes
            except Exception:
                if not failing:  # once per streak: a Redis that is down fails every sweep
                    log.exception("sweep failed; retrying every %ss", self.settings.sweep_interval_s)
                failing = True
            else:
                if failing:
                    log.info("sweep works again")
                failing = False

    async def _push_stats(self) -> None:
        """Queue figures to supervisors' sockets soon after the queues change (and every ``stats_push_s``)."""
        changed = self.pipeline.queue_changed
        while not self._stopping.is_set():
            await changed.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), STATS_DEBOUNCE_S)  # one push for a burst
                return
            changed.clear()
            try:
                assert self.coordination.redis is not None
                await self.pipeline.wallboard.push(self.coordination.redis, self.bus)
            except Exception:
                log.exception("queue statistics: push failed; retrying on the next change")

    def _in_background(self, name: str, work: Callable[[], Awaitable[None]]) -> None:
        """Long work of the sweep (a KB rebuild can take a while) in a task of its own, one at a time, so
        offer timeouts and routing never wait for it."""
        running = self._background.get(name)
        if running is not None and not running.done():
            return

        async def guarded() -> None:
            try:
                await work()
            except Exception:
                log.exception("%s: background work failed; retrying on the next sweep", name)

        self._background[name] = asyncio.create_task(guarded(), name=name)

    async def _ensure_demo_users(self) -> list[tuple[str, str, str]]:
        """On a first start (no users at all) create an admin and an agent, and say their passwords."""
        if await self.store.list_users():
            return []
        created = []
        for username, role in (("admin", UserRole.ADMIN), ("agent", UserRole.AGENT)):
            password = secrets.token_urlsafe(9)
            await self.store.add_user(User(id=new_id(), username=username, password_hash=hash_password(password),
                                           role=role, created_at=utcnow()))
            created.append((username, password, role.value))
        path = self.settings.data_dir / "demo-login.txt"
        path.write_text("".join(f"{u} {p} ({r})\n" for u, p, r in created))
        path.chmod(0o600)
        return created
