"""Lifecycle events: one JSON line per change in --root's events log.

runu writes created, started and deleted; the sandbox's monitor (ext/
runu-monitor.c) writes ready (the guest's network is configured and its init
listens: before or after started, which does not wait for the guest's boot)
and stopped (the kernel exited), each as a single append.
"""

import json
import os
import time
from pathlib import Path

from runu.errors import RunuError
from runu.state import check_id, now_iso

LOG_NAME = "events.jsonl"
FINAL = "deleted"


def log_path(root: Path) -> Path:
    return Path(root) / LOG_NAME


def record(root: Path, container_id: str, event: str) -> None:
    line = json.dumps({"time": now_iso(), "id": container_id, "event": event}) + "\n"
    fd = os.open(log_path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def open_for_sandbox(root: Path) -> int:
    """The log as an append-only fd for the sandbox's monitor."""
    return os.open(log_path(root), os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)


def follow(root: Path, container_id: str, poll_seconds: float = 0.05, every: float | None = None, tick=None):
    """Yield the container's events, past and new, until it is deleted; with `every`, also
    what tick() returns every that many seconds (while it raises RunuError: nothing).

    Like runc, it ends with an error rather than wait forever: when the id does
    not exist, and (after yielding "deleted") once the container is gone."""
    check_id(container_id)
    container = Path(root) / container_id
    if not container.is_dir():
        raise RunuError(f"container {container_id} does not exist")
    deleted = RunuError(f"container {container_id} was deleted")
    gone = False
    next_tick = time.monotonic() + every if every else None
    with log_path(root).open("a+") as log:
        log.seek(0)
        while True:
            if next_tick is not None and time.monotonic() >= next_tick:
                next_tick += every
                try:
                    yield tick()
                except RunuError:
                    pass  # not live now (created, stopped): no statistics to give
            line = log.readline()
            if not line.endswith("\n"):
                log.seek(log.tell() - len(line))
                if gone:
                    raise deleted  # removed without a "deleted" line (a crash, another root's delete)
                # One more pass once it is gone: delete writes its line just after removing it.
                gone = not container.is_dir()
                time.sleep(poll_seconds)
                continue
            event = json.loads(line)
            if event["id"] != container_id:
                continue
            yield event
            # A "deleted" of an earlier container of the same id does not end a live one.
            if event["event"] == FINAL and not container.is_dir():
                raise deleted
