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
    """Controllers cgroup2 holds on a hybrid host and no cgroup2 subtree needs."""
    try:
        held = (UNIFIED / "cgroup.controllers").read_text().split()
    except FileNotFoundError:  # pure v1 or pure v2: nothing to move
        return []
    return [c for c in held if _let_go(c)]


def _let_go(name: str) -> bool:
    """Disable `name` in every cgroup2 subtree_control that enables it, deepest first (a runc
    that ran before setup enables what it finds, here hugetlb, down to its containers' parent):
    only a controller no cgroup2 directory enables can be mounted as v1. False if one will not
    let go."""
    try:
        enabling = [p for p in UNIFIED.rglob("cgroup.subtree_control") if name in p.read_text().split()]
        for control in sorted(enabling, key=lambda p: len(p.parts), reverse=True):
            control.write_text(f"-{name}")
    except OSError:  # gone meanwhile, read-only (a container's cgroupfs), still needed below
        return False
    return True


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
