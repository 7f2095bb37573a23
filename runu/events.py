"""Lifecycle events: one JSON line per change in --root's events log.

runu writes created, started and deleted; the sandbox's monitor (ext/
runu-monitor.c) writes ready (the guest's network is configured and its init
listens) and stopped (the kernel exited), each as a single append.
"""

import json
import os
import time
from pathlib import Path

from runu.state import now_iso

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


def follow(root: Path, container_id: str, poll_seconds: float = 0.05):
    """Yield the container's events, past and new, until it is deleted."""
    path = log_path(root)
    while not path.exists():
        time.sleep(poll_seconds)
    with path.open() as log:
        while True:
            line = log.readline()
            if not line.endswith("\n"):
                time.sleep(poll_seconds)
                log.seek(log.tell() - len(line))
                continue
            event = json.loads(line)
            if event["id"] != container_id:
                continue
            yield event
            if event["event"] == FINAL:
                return
