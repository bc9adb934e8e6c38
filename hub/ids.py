"""Identifiers: sortable by creation time, unique across processes."""

from __future__ import annotations

import hashlib
import os
import random
import time

# A generator seeded from the OS once per process (and again in a forked child): ids need uniqueness,
# not secrecy, and a getrandom() call per id costs more than everything else on the message path.
_random = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _random.seed(os.urandom(32)))


def new_id() -> str:
    """26 hex characters: 12 of milliseconds, then 14 random ones (56 bits).

    Ids sort by creation time (to the millisecond) and the random part keeps them unique across processes.
    """
    return f"{time.time_ns() // 1_000_000:012x}{_random.getrandbits(56):014x}"


def derived_id(parent: str, purpose: str) -> str:
    """The same id every time for this ``parent`` id and ``purpose``: the parent's time part, then 14 hex
    characters of a hash of both (distinct purposes, distinct ids; it sorts with the parent's time)."""
    return parent[:12] + hashlib.blake2b(f"{parent}:{purpose}".encode(), digest_size=7).hexdigest()
