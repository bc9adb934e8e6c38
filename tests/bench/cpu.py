"""CPU time a server spends, read from /proc: the process, all its threads, and its child processes (the
hub's embedded redis-server), so that a benchmark can divide it by the messages it carried."""

from __future__ import annotations

import os
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


def _own_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime, every thread included


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def tree_cpu_s(pid: int) -> float:
    """Seconds of CPU the process and its living descendants have used so far."""
    total = 0.0
    for one in [pid, *_children(pid)]:
        try:
            total += _own_cpu_s(one) if one == pid else tree_cpu_s(one)
        except OSError:  # gone meanwhile
            continue
    return total
