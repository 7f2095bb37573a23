"""Where a `docker run` under runu spends its time, from runu's own events log.

runu appends created, ready (the guest booted at create: its network is up, its init waits)
and started to <root>/events.jsonl; dockerd passes the root, so every root it may use is searched.
"""

import json
from datetime import datetime
from pathlib import Path

ROOTS = ("/run/docker/runtime-*/*", "/run/containerd/runc/*")
PHASES = ("created", "ready", "started")


def _seconds(iso: str) -> float:
    # runu writes nanoseconds; datetime takes microseconds
    head, _, frac = iso.rstrip("Z").partition(".")
    return datetime.fromisoformat(f"{head}.{frac[:6]:0<6}+00:00").timestamp()


def event_times(container_id: str) -> dict[str, float]:
    """event -> wall-clock time (s since the epoch) of the container's runu events."""
    found = {}
    for root in ROOTS:
        for log in Path("/").glob(f"{root.lstrip('/')}/events.jsonl"):
            for line in log.read_text().splitlines():
                event = json.loads(line)
                if event["id"] == container_id:
                    found[event["event"]] = _seconds(event["time"])
    return found


def split(started_at: float, events: dict[str, float], greeted_at: float) -> dict[str, float]:
    """Milliseconds of each phase: docker+create, guest boot, until start, workload to greeting."""
    marks = [started_at, *(events[p] for p in PHASES), greeted_at]
    names = ("docker run to created", "created to guest ready", "guest ready to started",
             "started to greeting")
    return {name: round((b - a) * 1000, 1) for name, a, b in zip(names, marks, marks[1:])}
