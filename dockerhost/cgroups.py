"""Hybrid cgroup hosts: give cgroup v1 the controllers nobody mounted.

On this kind of host the v1 hierarchies sit under /sys/fs/cgroup and cgroup2 under
/sys/fs/cgroup/unified, where any controller left without a v1 mount shows up (here: hugetlb).
runc does not mind; crun refuses such a host outright ("cgroups in hybrid mode not supported,
drop all controllers from cgroupv2"). Mounting the orphan as its own v1 hierarchy, as systemd
does on hybrid hosts, moves it out of cgroup2 and lets every runtime work.
"""

import ctypes
import os
from pathlib import Path

from rich.console import Console

from dockerhost import DockerHostError

console = Console(stderr=True)

V1_ROOT = Path("/sys/fs/cgroup")
UNIFIED = V1_ROOT / "unified"


def _orphans() -> list[str]:
    """Controllers cgroup2 holds on a hybrid host and no cgroup2 subtree uses."""
    try:
        held = (UNIFIED / "cgroup.controllers").read_text().split()
        used = set((UNIFIED / "cgroup.subtree_control").read_text().split())
    except FileNotFoundError:  # pure v1 or pure v2: nothing to move
        return []
    return [c for c in held if c not in used]


def bind_orphan_controllers() -> None:
    """Mount each orphan controller as a v1 hierarchy at /sys/fs/cgroup/<name>. Idempotent."""
    libc = ctypes.CDLL(None, use_errno=True)
    for name in _orphans():
        target = V1_ROOT / name
        target.mkdir(exist_ok=True)
        if libc.mount(b"cgroup", bytes(target), b"cgroup", 0, name.encode()) != 0:
            err = ctypes.get_errno()
            raise DockerHostError(f"cannot mount cgroup v1 controller {name} at {target}: {os.strerror(err)}")
        console.print(f"cgroup controller {name} moved from cgroup2 to v1 at {target} (crun needs that)")
