"""What the benches share: the repository on ``sys.path``, CPU and memory figures from
/proc (the machine's, a process's, a process tree's, a thread's), the machine's
description, and, from tests/helpers (the test extras: ``pip install -e '.[test]'``),
free ports and Chromium's path and flags. Linux only.

A bench imports it first (``import common``; the bench's own folder is on ``sys.path``
when it runs as a script)."""

from __future__ import annotations

import contextlib
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers.chromium import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    launch_chromium,
)
from tests.helpers.servers import free_port  # noqa: E402

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "CLK_TCK",
    "DESKTOP",
    "PAGE_SIZE",
    "PHONE",
    "RELAY_WORKER_MODULE",
    "ROOT",
    "cpu_model",
    "free_port",
    "launch_chromium",
    "load_average",
    "machine_busy_s",
    "process_cpu_s",
    "process_ticks",
    "process_tree",
    "relay_workers",
    "thread_ticks",
    "tree_usage",
]

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
RELAY_WORKER_MODULE = "server.relay.worker"  # the relay workers' command line names it


def _stat_fields(path: Path) -> list[str] | None:
    """The fields of a /proc ``stat`` file after the command name (field 3 on), or None
    when the process or thread is gone."""
    try:
        text = path.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def process_ticks(pid: int) -> int:
    """CPU ticks of a process itself (all its threads), without its children; 0 if gone."""
    fields = _stat_fields(Path(f"/proc/{pid}/stat"))
    return int(fields[11]) + int(fields[12]) if fields else 0


def thread_ticks(pid: int, tid: int | None = None) -> int:
    """CPU ticks of one thread of ``pid`` (default: its main thread, where its event loop
    runs), without the process's other threads; 0 if gone."""
    fields = _stat_fields(Path(f"/proc/{pid}/task/{tid or pid}/stat"))
    return int(fields[11]) + int(fields[12]) if fields else 0


def process_cpu_s(pids: list[int]) -> dict[int, float]:
    """CPU seconds used so far by each of these processes still running (own threads)."""
    used = {}
    for pid in pids:
        fields = _stat_fields(Path(f"/proc/{pid}/stat"))
        if fields is not None:
            used[pid] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return used


def process_tree(root: int) -> dict[int, tuple[int, int]]:
    """pid -> (CPU ticks, resident bytes) of ``root`` and all its descendants running now
    (the relay workers among them). A process's ticks include those of its children it
    has reaped (cutime, cstime), so a child that exits moves from its own entry into its
    parent's: nothing is counted twice or lost between two readings."""
    stats: dict[int, tuple[int, int, int]] = {}  # pid -> (parent, ticks, resident bytes)
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(Path(f"/proc/{entry}/stat"))
            if fields is not None:
                ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
                stats[int(entry)] = (int(fields[1]), ticks, int(fields[21]) * PAGE_SIZE)
    tree: dict[int, tuple[int, int]] = {}
    frontier = [root]
    while frontier:
        pid = frontier.pop()
        if pid in stats and pid not in tree:
            tree[pid] = stats[pid][1:]
            frontier.extend(child for child, stat in stats.items() if stat[0] == pid)
    return tree


def tree_usage(root: int) -> tuple[float, int]:
    """(CPU seconds, resident bytes) of a process and its descendants (alive ones, and
    those already reaped through their parents' counts)."""
    tree = process_tree(root)
    return sum(t for t, _ in tree.values()) / CLK_TCK, sum(r for _, r in tree.values())


def relay_workers(root: int) -> list[int]:
    """The relay worker processes (``python -m server.relay.worker``) under ``root``."""
    workers = []
    for pid in process_tree(root):
        with contextlib.suppress(OSError):
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            if pid != root and RELAY_WORKER_MODULE.encode() in argv:
                workers.append(pid)
    return sorted(workers)


def machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores, /proc/stat):
    everything but idle and iowait."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / CLK_TCK


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def cpu_model() -> str:
    """The CPU's model name (/proc/cpuinfo), else what ``platform`` knows, else unknown."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"
