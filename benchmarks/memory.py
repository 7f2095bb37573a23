"""Memory of a process tree: RSS and PSS summed from /proc/PID/smaps_rollup."""

from runu.process import children


def tree(pid: int) -> list[int]:
    """`pid` and all its descendants."""
    pids, todo = [], [pid]
    while todo:
        pids.append(todo.pop())
        todo.extend(children(pids[-1]))
    return pids


def _rollup_kib(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in ("Rss", "Pss"):
                fields[key.lower()] = int(rest.split()[0])
    return fields


def usage_kib(pid: int) -> dict:
    """RSS and PSS in KiB over the tree of `pid`, and the processes counted."""
    total = {"rss_kib": 0, "pss_kib": 0, "processes": 0}
    for each in tree(pid):
        try:
            kib = _rollup_kib(each)
        except (FileNotFoundError, ProcessLookupError):  # exited meanwhile
            continue
        total["rss_kib"] += kib["rss"]
        total["pss_kib"] += kib["pss"]
        total["processes"] += 1
    return total
