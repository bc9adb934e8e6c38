"""Identifiers: sortable by creation time, unique across processes."""

from __future__ import annotations

import os
import time


def new_id() -> str:
    """26 hex characters: 12 hex digits of milliseconds, then 14 random ones.

    Ids sort by creation time (to the millisecond) and 56 random bits keep them unique across processes.
    """
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(7).hex()}"
