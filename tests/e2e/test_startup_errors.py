"""``hub serve`` and the other commands when a setting, a file or a server is wrong: one line saying what, a
non-zero exit, no traceback, and nothing left running (the private redis-server it had started is stopped)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis

from tests.support.hub import ROOT, HubServer, free_port
from tests.support.redis import RedisServer


def _hub(*args: str, data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "hub.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env={**os.environ, "HUB_DATA_DIR": str(data_dir), **env})


def _serve(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return _hub("serve", "--port", str(free_port()), data_dir=data_dir, **env)


def _running_in(data_dir: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-af", str(data_dir)], capture_output=True, text=True)
    return [line for line in found.stdout.splitlines() if "pgrep" not in line]


@pytest.mark.parametrize(("env", "said"), [
    ({"HUB_REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}, "cannot start: cannot reach Redis (HUB_REDIS_URL)"),
    ({"HUB_REDIS_URL": "redis-at-the-office"}, "cannot start: HUB_REDIS_URL: Redis URL must specify"),
    ({"HUB_MONGO_URL": "mongodb://a:b:c@"}, "cannot start: HUB_MONGO_URL: Username and password must be escaped"),
    ({"HUB_QUEUES_FILE": "/nowhere/queues.yaml"}, "cannot start: HUB_QUEUES_FILE /nowhere/queues.yaml: No such file"),
    ({"HUB_LLM_KIND": "openai"}, "cannot start: the openai kind needs a base URL and a model name"),
])
def test_a_start_that_cannot_work_says_why_in_one_line(tmp_path: Path, env: dict[str, str], said: str) -> None:
    data_dir = tmp_path / "hub"
    done = _serve(data_dir, **env)
    output = done.stdout + done.stderr
    assert done.returncode != 0
    assert said in output and "Traceback" not in output, output
    assert _running_in(data_dir) == []  # the embedded redis-server it may have started is gone


def test_a_bad_setting_is_one_line_for_every_command(tmp_path: Path) -> None:
    expected = "hub: HUB_AGENT_CAPACITY must be a number, got 'abc'\n"
    for args in (("serve",), ("user", "add", "li", "--password", "pass-word-1", "--role", "agent"),
                 ("kb", "export", "--out", str(tmp_path / "kb.json"))):
        done = _hub(*args, data_dir=tmp_path / "hub", HUB_AGENT_CAPACITY="abc")
        assert (done.returncode, done.stderr) == (1, expected), (args, done.stderr)


def test_a_missing_file_and_a_bad_port_are_one_line(tmp_path: Path) -> None:
    missing = _hub("kb", "import", str(tmp_path / "nope.json"), data_dir=tmp_path / "hub")
    assert (missing.returncode, missing.stderr) == (1, f"hub: No such file or directory: {tmp_path / 'nope.json'}\n")
    port = _hub("serve", "--port", "70000", data_dir=tmp_path / "hub")
    assert port.returncode == 2 and "70000 is not between 1 and 65535" in port.stderr


def test_a_second_hub_on_the_same_data_directory_says_so_in_one_line(tmp_path: Path) -> None:
    with HubServer(tmp_path / "hub") as hub:
        done = _serve(hub.data_dir)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert "cannot start: another hub process runs the embedded Redis" in output


def test_a_redis_that_refuses_the_password_is_told_apart_from_one_that_cannot_be_reached(tmp_path: Path) -> None:
    with RedisServer(tmp_path / "redis") as server:
        redis.Redis(unix_socket_path=str(server.socket)).config_set("requirepass", "the-right-one")
        done = _serve(tmp_path / "hub", HUB_REDIS_URL=f"{server.url}?password=a-wrong-one")
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert "cannot start: Redis refused the hub's credentials (HUB_REDIS_URL)" in output
