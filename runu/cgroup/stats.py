"""A cgroup's usage as runc's `events --stats` prints it (runc's types.Stats, the fields a
sandbox has: cpu, memory, pids, blkio)."""

import os
from pathlib import Path

from runu.cgroup import layout

_NS_PER_TICK = 1_000_000_000 // os.sysconf("SC_CLK_TCK")


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _int(path: Path) -> int:
    text = _read(path)
    return int(text) if text.lstrip("-").isdigit() else 0


def _keyed(path: Path) -> dict[str, int]:
    """A flat-keyed file ("key value" lines) as a dict."""
    out = {}
    for line in _read(path).splitlines():
        key, _, value = line.partition(" ")
        if value.isdigit():
            out[key] = int(value)
    return out


def _cpu(dirs: dict, hierarchies: dict) -> dict:
    acct = layout.controller_home(hierarchies, "cpuacct")
    cpu = layout.controller_home(hierarchies, "cpu")
    usage, throttling = {}, {}
    if acct and acct.version == 1:
        d = dirs[acct.key]
        ticks = _keyed(d / "cpuacct.stat")
        usage = {"total": _int(d / "cpuacct.usage"),
                 "percpu": [int(v) for v in _read(d / "cpuacct.usage_percpu").split()],
                 "kernel": ticks.get("system", 0) * _NS_PER_TICK, "user": ticks.get("user", 0) * _NS_PER_TICK}
    if cpu and cpu.version == 1:
        s = _keyed(dirs[cpu.key] / "cpu.stat")
        throttling = {"periods": s.get("nr_periods", 0), "throttledPeriods": s.get("nr_throttled", 0),
                      "throttledTime": s.get("throttled_time", 0)}
    elif cpu:
        s = _keyed(dirs[cpu.key] / "cpu.stat")
        usage = {"total": s.get("usage_usec", 0) * 1000, "kernel": s.get("system_usec", 0) * 1000,
                 "user": s.get("user_usec", 0) * 1000}
        throttling = {"periods": s.get("nr_periods", 0), "throttledPeriods": s.get("nr_throttled", 0),
                      "throttledTime": s.get("throttled_usec", 0) * 1000}
    return {"usage": usage, "throttling": throttling}


def _memory(dirs: dict, hierarchies: dict) -> dict:
    home = layout.controller_home(hierarchies, "memory")
    if home is None:
        return {}
    d = dirs[home.key]
    if home.version == 1:
        def entry(prefix):
            return {"limit": _int(d / f"{prefix}.limit_in_bytes"), "usage": _int(d / f"{prefix}.usage_in_bytes"),
                    "max": _int(d / f"{prefix}.max_usage_in_bytes"), "failcnt": _int(d / f"{prefix}.failcnt")}
        raw = _keyed(d / "memory.stat")
        return {"cache": raw.get("total_cache", raw.get("cache", 0)), "usage": entry("memory"),
                "swap": entry("memory.memsw"), "kernel": entry("memory.kmem"), "raw": raw}
    raw = _keyed(d / "memory.stat")
    limit = _read(d / "memory.max")
    return {"cache": raw.get("file", 0),
            "usage": {"limit": int(limit) if limit.isdigit() else 0, "usage": _int(d / "memory.current"),
                      "max": _int(d / "memory.peak"), "failcnt": _keyed(d / "memory.events").get("max", 0)},
            "swap": {"usage": _int(d / "memory.swap.current")}, "raw": raw}


def _pids(dirs: dict, hierarchies: dict) -> dict:
    home = layout.controller_home(hierarchies, "pids")
    if home is None:
        return {}
    d = dirs[home.key]
    limit = _read(d / "pids.max")
    return {"current": _int(d / "pids.current"), "limit": int(limit) if limit.isdigit() else 0}


def _blkio(dirs: dict, hierarchies: dict) -> dict:
    home = layout.controller_home(hierarchies, "blkio") or layout.controller_home(hierarchies, "io")
    if home is None:
        return {}
    d = dirs[home.key]
    entries = []
    if home.version == 1:
        for line in _read(d / "blkio.throttle.io_service_bytes_recursive").splitlines():
            fields = line.split()
            if len(fields) == 3 and ":" in fields[0]:
                major, minor = fields[0].split(":")
                entries.append({"major": int(major), "minor": int(minor), "op": fields[1], "value": int(fields[2])})
    else:
        for line in _read(d / "io.stat").splitlines():
            device, *pairs = line.split()
            major, minor = device.split(":")
            for pair in pairs:
                key, _, value = pair.partition("=")
                op = {"rbytes": "Read", "wbytes": "Write"}.get(key)
                if op:
                    entries.append({"major": int(major), "minor": int(minor), "op": op, "value": int(value)})
    return {"ioServiceBytesRecursive": entries}


def stats(dirs: dict[str, Path]) -> dict:
    hierarchies = layout.hierarchies()
    return {"cpu": _cpu(dirs, hierarchies), "memory": _memory(dirs, hierarchies), "pids": _pids(dirs, hierarchies),
            "blkio": _blkio(dirs, hierarchies), "hugetlb": {}}
