"""Who used the machine's CPU during a bench phase, from /proc (Linux): the bots, PostgreSQL,
the bench process itself (load generator and fake API share it) and everything else.

    before = CpuShares.snapshot({"sebaya": [pid, ...], "postgres": [postmaster_pid]})
    ... the phase ...
    shares = before.since()   # {"sebaya": 0.61, "postgres": 0.52, "bench": 0.40, ...}

Figures are in cores (1.0 = one core busy for the whole phase), so on this 2-core machine
they add up to at most 2. A group's processes include their children (PostgreSQL's
backends, a supervisor's workers), read again at the end: a backend that ended during the
phase is not counted (its time shows as "other").
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, user+system CPU seconds) of a process, None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()  # after "pid (comm) "
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICKS


def _tree(roots: list[int]) -> dict[int, float]:
    """CPU seconds of each process of the trees under ``roots``."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _stat(int(entry.name))
            if found is not None:
                parents[int(entry.name)], used[int(entry.name)] = found
    members = {pid for pid in roots if pid in used}
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in members and pid not in members:
                members.add(pid)
                grew = True
    return {pid: used[pid] for pid in members}


def _machine() -> float:
    """Busy CPU seconds of the whole machine (all cores) since boot."""
    first = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in first]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / TICKS


@dataclass
class CpuShares:
    groups: dict[str, list[int]]
    at: float = 0.0
    machine: float = 0.0
    used: dict[str, dict[int, float]] = field(default_factory=dict)

    @classmethod
    def snapshot(cls, groups: dict[str, list[int]]) -> CpuShares:
        """Start counting: ``groups`` names root pids (the bench process is added)."""
        groups = {**groups, "bench": [os.getpid()]}
        shares = cls(groups, time.perf_counter(), _machine())
        shares.used = {name: _tree(pids) for name, pids in groups.items()}
        return shares

    def since(self) -> dict[str, float]:
        """Cores each group used since the snapshot; "other": the rest of the machine's busy
        time (other programs, the kernel, processes that ended); "idle": what nobody used."""
        elapsed = time.perf_counter() - self.at
        out: dict[str, float] = {}
        for name, pids in self.groups.items():
            now = _tree(pids)
            out[name] = sum(now[pid] - self.used[name].get(pid, 0.0) for pid in now) / elapsed
        busy = (_machine() - self.machine) / elapsed
        out["other"] = max(0.0, busy - sum(out.values()))
        out["idle"] = max(0.0, (os.cpu_count() or 1) - busy)
        return {name: round(value, 2) for name, value in out.items()}
