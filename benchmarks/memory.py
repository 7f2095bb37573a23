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


# PSS by what a mapping is: a UML kernel's RAM (and runsc's) is a shared mapping of a memory
# file, a program's own memory private and anonymous, its code and libraries private and file-backed.
PRIVATE_ANON, PRIVATE_FILE, SHARED = "private anonymous", "private file-backed", "shared"


def _mapping_class(header: str, flags: str) -> str:
    if " sh " in f" {flags} ":
        return SHARED
    fields = header.split(maxsplit=5)
    return PRIVATE_FILE if len(fields) > 5 and fields[5].startswith("/") else PRIVATE_ANON


def pss_by_mapping_kib(pids: set[int]) -> dict[str, int]:
    """PSS summed over `pids`, split by mapping class (smaps: each mapping's header line, its
    Pss and its VmFlags, where "sh" marks a shared mapping)."""
    split = dict.fromkeys((PRIVATE_ANON, PRIVATE_FILE, SHARED), 0)
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/smaps").read_text().splitlines()
        except OSError:
            continue  # gone meanwhile
        header, pss = "", 0
        for line in lines:
            key = line.split(":", 1)[0]
            if key == "Pss":
                pss = int(line.split()[1])
            elif key == "VmFlags":  # a mapping's last line
                split[_mapping_class(header, line.split(":", 1)[1])] += pss
            elif " " in key:
                header = line  # "start-end perms offset dev:inode... [name]": its key has spaces
    return split
