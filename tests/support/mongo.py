"""A MongoDB wire-protocol server for tests: mongoeco's proxy, run in its own Python 3.13 venv.

mongoeco ships no command-line entry point, only ``mongoeco.wire.AsyncMongoEcoProxyServer``; so this
file is also the launcher: ``python -I tests/support/mongo.py WORKDIR`` serves an in-memory engine on a
port the OS picks, writes that port to ``WORKDIR/port``, and stops cleanly on SIGTERM or when its stdin
closes (so it dies with the test process). The parent side (any Python) uses only the standard library.

``make test`` creates the venv (``.venv-mongo``); ``HUB_TEST_MONGO_PYTHON`` names another Python
that has ``mongoeco[wire]`` installed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import NoReturn

HOST = "127.0.0.1"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
PORT_FILE = "port"
LOG_FILE = "mongoeco.log"


def mongo_python() -> Path:
    configured = os.environ.get("HUB_TEST_MONGO_PYTHON")
    python = Path(configured) if configured else Path(__file__).parents[2] / ".venv-mongo" / "bin" / "python"
    if not python.exists():
        raise RuntimeError(
            f"no Python with mongoeco at {python}: run `make test`, which creates .venv-mongo "
            "(or set HUB_TEST_MONGO_PYTHON to a Python that has mongoeco[wire] installed)"
        )
    return python


class MongoWireServer:
    def __init__(self, workdir: Path) -> None:
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        assert self._port is not None, "server not started"
        return f"mongodb://{HOST}:{self._port}/?directConnection=true"

    def __enter__(self) -> MongoWireServer:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> None:
        self._workdir.mkdir(parents=True, exist_ok=True)
        (self._workdir / PORT_FILE).unlink(missing_ok=True)
        command = [str(mongo_python()), "-I", __file__, str(self._workdir)]
        with open(self._workdir / LOG_FILE, "wb") as log:
            # stdin is the lifeline: the server stops when it closes, even if this process is killed.
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=log, stderr=log)
        try:
            self._port = self._wait_until_serving()
        except BaseException:
            self.stop()
            raise

    def _wait_until_serving(self) -> int:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._fail(f"exited with code {self._process.returncode}")
            port = self._announced_port()
            if port is not None and _accepts(port):
                return port
            time.sleep(0.05)
        self._fail(f"did not accept connections within {START_TIMEOUT:.0f} s")

    def _announced_port(self) -> int | None:
        try:
            return int((self._workdir / PORT_FILE).read_text())
        except (FileNotFoundError, ValueError):
            return None

    def _fail(self, why: str) -> NoReturn:
        raise RuntimeError(f"the mongoeco wire server {why}; its log ends:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = (self._workdir / LOG_FILE).read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        assert process.stdin is not None
        process.stdin.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
        process.wait()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


# ---- the launcher, run by the mongoeco Python ----


def _on_stdin_eof(callback: Callable[[], None]) -> None:
    def watch() -> None:
        sys.stdin.buffer.read()
        with contextlib.suppress(RuntimeError):  # the loop may be gone already
            callback()

    threading.Thread(target=watch, daemon=True).start()


async def _serve(workdir: Path) -> None:
    import asyncio
    import signal

    from mongoeco.engines.memory import MemoryEngine
    from mongoeco.wire import AsyncMongoEcoProxyServer

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    _on_stdin_eof(lambda: loop.call_soon_threadsafe(stop.set))
    async with AsyncMongoEcoProxyServer(engine=MemoryEngine(), host=HOST, port=0) as server:
        announced = workdir / f"{PORT_FILE}.tmp"
        announced.write_text(str(server.address.port))
        announced.replace(workdir / PORT_FILE)
        print(f"mongoeco {server.address.uri} serving", flush=True)
        await stop.wait()
    print("mongoeco stopped", flush=True)


if __name__ == "__main__":
    import asyncio

    asyncio.run(_serve(Path(sys.argv[1])))
