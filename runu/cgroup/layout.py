"""Where this host keeps its cgroups: v1 hierarchies (one per controller, or co-mounted),
the v2 unified tree, or both (the hybrid layout of systemd hosts, and of this machine)."""

from pathlib import Path

UNIFIED = ""  # the key of the v2 tree among the hierarchies


class Hierarchy:
    """One mounted cgroup hierarchy: its mount point and what it controls."""

    def __init__(self, key: str, mount: Path, controllers: tuple[str, ...], version: int):
        self.key, self.mount, self.controllers, self.version = key, mount, controllers, version

    def __repr__(self):
        return f"Hierarchy({self.key!r}, {str(self.mount)!r}, v{self.version})"


def _unescape(field: str) -> str:
    """mountinfo escapes spaces and the like as octal."""
    return field.encode().decode("unicode_escape") if "\\" in field else field


def _v2_controllers(mount: Path) -> tuple[str, ...]:
    try:
        return tuple((mount / "cgroup.controllers").read_text().split())
    except OSError:
        return ()


def hierarchies(mountinfo: str = "/proc/self/mountinfo") -> dict[str, Hierarchy]:
    """Every cgroup hierarchy mounted in our mount namespace, keyed by the name /proc/PID/cgroup
    gives it ("cpu,cpuacct", "name=systemd", "" for the unified tree); the first mount of each wins."""
    found: dict[str, Hierarchy] = {}
    with open(mountinfo) as f:
        for line in f:
            left, _, right = line.partition(" - ")
            fstype, _source, options = right.split()[:3]
            mount = Path(_unescape(left.split()[4]))
            if fstype == "cgroup2":
                found.setdefault(UNIFIED, Hierarchy(UNIFIED, mount, _v2_controllers(mount), 2))
            elif fstype == "cgroup":
                names = tuple(o for o in options.split(",") if o in _V1_NAMES or o.startswith("name="))
                key = ",".join(names)
                if key:
                    found.setdefault(key, Hierarchy(key, mount, names, 1))
    return found


# The controllers a v1 mount can carry (its other super options are flags like xattr, noprefix).
_V1_NAMES = frozenset(("cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
                       "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc"))


def own_cgroups(pid: int | str = "self") -> dict[str, str]:
    """The cgroup of `pid` in each hierarchy, keyed like hierarchies()."""
    paths = {}
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            _id, key, path = line.rstrip("\n").split(":", 2)
            paths[key] = path
    return paths


def controller_home(layout: dict[str, Hierarchy], controller: str) -> Hierarchy | None:
    """The hierarchy that enforces `controller`: its v1 mount if it has one, else the unified
    tree if that offers it."""
    for h in layout.values():
        if h.version == 1 and controller in h.controllers:
            return h
    unified = layout.get(UNIFIED)
    if unified and controller in unified.controllers:
        return unified
    return None
