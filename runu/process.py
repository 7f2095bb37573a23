"""Host processes as the runtime sees them: alive, dead, or a reused pid."""

import os
from pathlib import Path


def _stat_fields(pid: int) -> list[bytes] | None:
    """/proc/PID/stat from the state field on; None if there is no such process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    # The command name may hold spaces and parentheses: split after the last ')'.
    return stat[stat.rindex(b")") + 2 :].split()


def start_time(pid: int) -> int | None:
    """Clock ticks since boot when `pid` started; None if there is no such process."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_alive(pid: int, started: int | None) -> bool:
    """True while `pid` is the very process that started at `started` and is not a zombie."""
    fields = _stat_fields(pid) if pid > 0 else None
    if not fields or fields[0] in (b"Z", b"X"):
        return False
    return started is None or int(fields[19]) == started


def rooted_in(root: Path) -> set[int]:
    """Live processes (not zombies) whose root directory is `root`: a sandbox's processes."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/root") == str(root) and is_alive(int(pid), None):
                found.add(int(pid))
        except OSError:
            continue  # gone meanwhile
    return found


def children(pid: int) -> list[int]:
    """Direct children of `pid` (the sandbox kernel's helper processes)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task") if os.path.isdir(f"/proc/{pid}/task") else ():
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return found
