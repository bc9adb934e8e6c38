"""Checkpoints SQLite's write-ahead log from a thread of its own, so that commits seldom wait for one.

In WAL mode a commit appends pages to the log; a checkpoint copies them back into the database file and
syncs both files to disk. By default SQLite runs one inside whichever commit takes the log past 1,000
pages. At 3,500 messages/s the hub writes ~6,000 pages a second, so six commits a second each waited for
two fsyncs (20–30 ms each on the test machine's disk), and with them every message grouped or queued
behind: p99 100–200 ms. Here a second connection checkpoints every ``interval`` seconds in PASSIVE mode,
which never blocks the writer or a reader. The log starts over from its beginning at a write that finds
it all copied; under continuous writes that happens only after a checkpoint of the writer's own (by then
newer pages are always in the log), so the writer keeps one, at ``BACKSTOP_PAGES``: by
then nearly everything has been copied and synced here, so it is short (~13 ms, against ~25 ms with a
checkpoint here every second) and comes about every two seconds at that rate. The log file is cut back to
``LOG_LIMIT_BYTES`` after a burst.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

BACKSTOP_PAGES = 10_000
LOG_LIMIT_BYTES = 64 * 1024 * 1024


def hand_checkpoints_over(db: sqlite3.Connection) -> None:
    """Settings for the writing connection, whose commits no longer checkpoint at the default size."""
    db.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    db.execute(f"PRAGMA journal_size_limit={LOG_LIMIT_BYTES}")


class Checkpointer:
    def __init__(self, path: Path, synchronous: str = "NORMAL", interval: float = 0.25) -> None:
        self._path = path
        self._synchronous = synchronous  # set, not left to the build's default: it decides the checkpoint's fsyncs
        self._interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        db: sqlite3.Connection | None = None
        failing = False
        while not self._stop.wait(self._interval):
            try:
                if db is None:
                    db = sqlite3.connect(self._path, isolation_level=None)
                    db.execute(f"PRAGMA synchronous={self._synchronous}")
                db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                failing = False
            except sqlite3.Error as exc:  # the next round tries again; meanwhile the writer's backstop holds
                if not failing:
                    log.warning("sqlite checkpoint failed (retrying every %.2f s): %s", self._interval, exc)
                failing = True
        if db is not None:
            db.close()
