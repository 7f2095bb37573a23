"""create's cgroup lock warmer: a child the front (ext/runu-front.c) forks before Python starts,
which keeps the cgroup migration lock ready for the launcher's join. Its work is done once the
launcher has joined, and it must not outlive a create that fails: runu ends and reaps it."""

import os
import signal

from runu.abi import LOCK_WARMER_ENV


def stop() -> None:
    """End and reap the warmer, if this process has one (the variable is popped: no hook, kernel
    or later create inherits it)."""
    pid = int(os.environ.pop(LOCK_WARMER_ENV, "") or 0)
    if not pid or not _is_our_child(pid):
        return
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)


def _is_our_child(pid: int) -> bool:
    """Only our own child is ours to kill: the variable may be stale or set by hand."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[1]) == os.getpid()
    except (OSError, IndexError, ValueError):
        return False
