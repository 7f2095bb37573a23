"""Memory of a container's host processes: the container's pid (for runu, the guest kernel),
all its descendants, and whatever else sits in the container's own cgroup (runsc's gofer).
Each process counts with its PSS (shared pages split among their sharers), RSS where
smaps_rollup cannot be read."""

from pathlib import Path


def _ppids() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    return parents


def _in_cgroup_of(container_id: str) -> set[int]:
    pids = set()
    for cgroup in Path("/proc").glob("[0-9]*/cgroup"):
        try:
            if container_id in cgroup.read_text():
                pids.add(int(cgroup.parent.name))
        except OSError:
            continue
    return pids


def processes(pid: int, container_id: str) -> set[int]:
    """`pid`, its descendants and the members of the container's cgroup."""
    parents = _ppids()
    found, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in found]
        found.update(children)
        frontier += children
    return found | _in_cgroup_of(container_id)


def _field_kib(path: Path, field: str) -> int | None:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def footprint_kib(pids: set[int]) -> tuple[int, str]:
    """(sum over `pids`, "pss" or "rss" if any process only offered its RSS)."""
    total, kind = 0, "pss"
    for pid in pids:
        pss = _field_kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
        if pss is None:
            pss, kind = _field_kib(Path(f"/proc/{pid}/status"), "VmRSS") or 0, "rss"
        total += pss
    return total, kind


def usage_kib(pid: int, container_id: str) -> dict:
    """A container's footprint as the network results record it (the same rule as density)."""
    pids = processes(pid, container_id)
    kib, kind = footprint_kib(pids)
    return {"pss_kib": kib, "counted_as": kind, "processes": len(pids)}
