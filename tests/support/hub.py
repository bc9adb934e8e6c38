"""A real hub server in a subprocess, on a free port, with its own data directory."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class HubServer:
    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = {**os.environ, "HUB_DATA_DIR": str(data_dir), "HUB_SWEEP_INTERVAL_S": "0.2", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir / f"hub-{self.port}.log"

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> HubServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "hub.cli", "serve", "--port", str(self.port),
                 "--log-level", os.environ.get("HUB_TEST_LOG_LEVEL", "warning")],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"hub exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.http}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"hub did not become healthy:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def kill(self) -> None:
        """kill -9: no shutdown code runs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def add_user(self, name: str, password: str, role: str = "agent", *extra: str) -> subprocess.CompletedProcess[str]:
        """``hub user add`` against this hub's data directory, as an admin would run it."""
        return subprocess.run(
            [sys.executable, "-m", "hub.cli", "user", "add", name, "--password", password, "--role", role, *extra],
            cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=60,
        )

    def demo_password(self, username: str) -> str:
        for line in (self.data_dir / "demo-login.txt").read_text().splitlines():
            name, password, _ = line.split(" ", 2)
            if name == username:
                return password
        raise KeyError(username)

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def hub_on_own_redis(work_dir: Path, env: dict[str, str] | None = None) -> Iterator[HubServer]:
    """A hub whose Redis is a server it reaches by ``HUB_REDIS_URL``, as in a scaled deployment: its events
    then go through Redis pub/sub (on its private embedded Redis they stay in the process)."""
    from hub.redis_server import EmbeddedRedis

    with EmbeddedRedis(work_dir / "redis-server") as redis, \
            HubServer(work_dir / "hub", env={"HUB_REDIS_URL": redis.url, **(env or {})}) as hub:
        yield hub
