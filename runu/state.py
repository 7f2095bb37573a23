"""Container state under --root: one directory per id, a state file written atomically.

Every operation on an id holds an exclusive flock on its directory, so
concurrent invocations on one id serialise and never see a half-written file.
"""

import fcntl
import json
import os
import re
import time
from pathlib import Path

from runu import OCI_VERSION, process
from runu.errors import RunuError
from runu.sandbox.base import ContainerFacts

CONTAINER_ID = re.compile(r"^[\w+.-]+$")

CREATING, CREATED, RUNNING, PAUSED, STOPPED = "creating", "created", "running", "paused", "stopped"
LIVE = (CREATED, RUNNING, PAUSED)  # a status whose process must still be there


MAX_ID_LENGTH = 255  # the id names a directory: a file name's limit


def check_id(container_id: str) -> None:
    if len(container_id) > MAX_ID_LENGTH:
        raise RunuError(f"invalid container id: {len(container_id)} characters (at most {MAX_ID_LENGTH})")
    if not CONTAINER_ID.match(container_id) or container_id in (".", ".."):
        raise RunuError(f"invalid container id {container_id!r}")


class State:
    """What runu remembers of one container; the OCI part is what `state` prints.

    A plain class, not a dataclass: every runu call loads one, and importing
    dataclasses (and with it inspect) would cost more than the call itself."""

    def __init__(self, id: str, bundle: str, status: str = CREATING, pid: int = 0,
                 pid_start: int | None = None, annotations: dict | None = None, created: str = "",
                 rootfs: str = "", runtime: dict | None = None):
        self.id, self.bundle, self.status = id, bundle, status
        self.pid, self.pid_start = pid, pid_start
        self.annotations = annotations or {}
        self.created, self.rootfs = created, rootfs
        # What create learnt for the later verbs (saved under "runtime").
        self.facts = ContainerFacts.from_dict(runtime or {})

    def to_dict(self) -> dict:
        doc = {k: v for k, v in self.__dict__.items() if k != "facts"}
        return {**doc, "runtime": self.facts.to_dict()}

    def current_status(self) -> str:
        """The recorded status, corrected by whether the process still lives."""
        if self.status in LIVE and not process.is_alive(self.pid, self.pid_start):
            return STOPPED
        return self.status

    def oci(self) -> dict:
        status = self.current_status()
        doc = {
            "ociVersion": OCI_VERSION,
            "id": self.id,
            "status": status,
            "pid": self.pid if status in LIVE else 0,
            "bundle": self.bundle,
            "rootfs": self.rootfs,
            "created": self.created,
        }
        if self.annotations:
            doc["annotations"] = self.annotations
        return doc

    def hook_state(self, status: str | None = None) -> dict:
        """The state JSON given to hooks on stdin (spec fields only)."""
        doc = {
            "ociVersion": OCI_VERSION,
            "id": self.id,
            "status": status or self.current_status(),
            "pid": self.pid,
            "bundle": self.bundle,
        }
        if self.annotations:
            doc["annotations"] = self.annotations
        return doc


class ContainerDir:
    """The directory of one container, locked for as long as the object is open."""

    def __init__(self, path: Path, fd: int):
        self.path = path
        self._fd = fd

    @property
    def state_file(self) -> Path:
        return self.path / "state.json"

    def load(self) -> State:
        try:
            doc = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            # `create` was killed before its first write: only the id is known.
            return State(id=self.path.name, bundle="")
        return State(**doc)

    def save(self, state: State) -> None:
        tmp = self.path / "state.json.tmp"
        tmp.write_text(json.dumps(state.to_dict()))
        os.replace(tmp, self.state_file)

    def remove(self) -> None:
        import shutil

        shutil.rmtree(self.path, ignore_errors=True)
        self.close()

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class StateStore:
    """All containers under one --root."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _lock(self, path: Path) -> ContainerDir:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(fd, fcntl.LOCK_EX)
        # Deleted while we waited for the lock: it is gone.
        if not path.exists():
            os.close(fd)
            raise RunuError(f"container {path.name} does not exist")
        return ContainerDir(path, fd)

    def new(self, container_id: str) -> ContainerDir:
        check_id(container_id)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = self.root / container_id
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            raise RunuError(f"container with id {container_id} already exists") from None
        return self._lock(path)

    def open(self, container_id: str) -> ContainerDir:
        check_id(container_id)
        path = self.root / container_id
        try:
            return self._lock(path)
        except (FileNotFoundError, NotADirectoryError):
            raise RunuError(f"container {container_id} does not exist") from None

    def ids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if p.is_dir())


def now_iso() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1e9):09d}Z"
