"""The container's cgroup: every process of the sandbox lives there from before the kernel
runs, and the host bounds, freezes and measures the sandbox through it.

A Cgroup is the container's directory in each hierarchy the host mounts (layout.py), at the
path linux.cgroupsPath names (path.py); create() makes them and writes linux.resources
(resources.py), the launcher joins them itself, delete() removes them.
"""

import errno
import time
from pathlib import Path

from runu.cgroup import layout
from runu.cgroup.path import resolve
from runu.cgroup.resources import Setting, settings
from runu.errors import RunuError

FREEZE_WAIT_SECONDS = 10
REMOVE_WAIT_SECONDS = 5


class Cgroup:
    def __init__(self, dirs: dict[str, str]):
        self.dirs = {key: Path(d) for key, d in dirs.items()}  # hierarchy key -> directory

    @classmethod
    def at(cls, cgroups_path: str, container_id: str, systemd: bool) -> "Cgroup":
        """The container's directories (not made yet) for linux.cgroupsPath."""
        path = resolve(cgroups_path, container_id, systemd)
        own = layout.own_cgroups() if not path.startswith("/") else {}
        dirs = {}
        for key, h in layout.hierarchies().items():
            base = own.get(key, "/") if own else "/"
            dirs[key] = str(h.mount / base.lstrip("/") / path.lstrip("/"))
        return cls(dirs)

    def to_list(self) -> dict[str, str]:
        return {key: str(d) for key, d in self.dirs.items()}

    # making and removing ---------------------------------------------------

    def create(self) -> None:
        for key, d in self.dirs.items():
            _make(d, key)

    def procs_files(self) -> list[str]:
        """Where the launcher writes its pid to join (it does so before anything else)."""
        return [str(d / "cgroup.procs") for d in self.dirs.values()]

    def remove(self) -> None:
        """rmdir each directory (the processes are gone; their exit may lag by a moment)."""
        for d in self.dirs.values():
            deadline = time.monotonic() + REMOVE_WAIT_SECONDS
            while True:
                try:
                    d.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as e:
                    if e.errno != errno.EBUSY or time.monotonic() > deadline:
                        raise RunuError(f"cannot remove cgroup {d}: {e.strerror}") from None
                    time.sleep(0.01)

    # resources -------------------------------------------------------------

    def apply(self, resources: dict, sandbox, guest_memory: int) -> list[str]:
        """Write linux.resources for a sandbox of kind `sandbox` (its own memory and processes
        come on top of the guest's); return the fields this host cannot enforce."""
        unenforced = []
        hierarchies = layout.hierarchies()
        for setting in settings(resources, sandbox.memory_overhead, guest_memory, sandbox.pids_overhead):
            if not self._write_setting(hierarchies, setting):
                unenforced.append(f"linux.resources.{setting.field}")
        return unenforced

    def _write_setting(self, hierarchies: dict, setting: Setting) -> bool:
        home = layout.controller_home(hierarchies, setting.controller)
        file = setting.file(home.version) if home else None
        if file is None:
            return False
        names, value = file
        d = self.dirs[home.key]
        target = next((d / n for n in names.split("|") if (d / n).exists()), None)
        if target is None:
            return False
        try:
            target.write_text(value)
        except OSError as e:
            if e.errno == errno.EINVAL and target.name == "memory.limit_in_bytes":
                # v1 wants memsw >= limit at every moment: raise memsw first, then retry.
                _raise_memsw(d, value)
                target.write_text(value)
                return True
            raise RunuError(f"linux.resources.{setting.field}: cannot write {value} to {target}: "
                            f"{e.strerror}") from None
        return True

    # what runs there -------------------------------------------------------

    def pids(self) -> list[int]:
        """The host pids of every process in the cgroup."""
        for d in self.dirs.values():
            try:
                return sorted(int(p) for p in (d / "cgroup.procs").read_text().split())
            except FileNotFoundError:
                continue
        return []

    def freeze(self) -> None:
        self._set_frozen(True)

    def thaw(self) -> None:
        self._set_frozen(False)

    def is_frozen(self) -> bool:
        home = self._freezer()
        if home is None:
            return False
        d = self.dirs[home.key]
        if home.version == 1:
            return _read(d / "freezer.state") in ("FROZEN", "FREEZING")
        return _events(d).get("frozen") == "1"

    def _freezer(self):
        hierarchies = layout.hierarchies()
        home = layout.controller_home(hierarchies, "freezer")
        if home is None and layout.UNIFIED in hierarchies and (
                self.dirs[layout.UNIFIED] / "cgroup.freeze").exists():
            home = hierarchies[layout.UNIFIED]  # v2's freezer is core, not a controller
        return home

    def _set_frozen(self, frozen: bool) -> None:
        home = self._freezer()
        if home is None:
            raise RunuError("this host has no cgroup freezer")
        d = self.dirs[home.key]
        deadline = time.monotonic() + FREEZE_WAIT_SECONDS
        while True:
            if home.version == 1:
                (d / "freezer.state").write_text("FROZEN" if frozen else "THAWED")
                done = _read(d / "freezer.state") == ("FROZEN" if frozen else "THAWED")
            else:
                (d / "cgroup.freeze").write_text("1" if frozen else "0")
                done = _events(d).get("frozen") == ("1" if frozen else "0")
            if done:
                return
            if time.monotonic() > deadline:
                raise RunuError(f"the cgroup {d} did not {'freeze' if frozen else 'thaw'} "
                                f"within {FREEZE_WAIT_SECONDS} s")
            time.sleep(0.001)


def _make(d: Path, key: str) -> None:
    """mkdir -p; a new cpuset level starts empty in v1 and must inherit its parent's CPUs and
    memory nodes before any process can join it."""
    missing = []
    p = d
    while not p.exists():
        missing.append(p)
        p = p.parent
    for level in reversed(missing):
        try:
            level.mkdir()
        except FileExistsError:
            pass
        except OSError as e:
            raise RunuError(f"cannot make cgroup {level}: {e.strerror}") from None
        if "cpuset" in key.split(","):
            for name in ("cpuset.cpus", "cpuset.mems"):
                if (level / name).exists() and not _read(level / name):
                    (level / name).write_text(_read(level.parent / name))
        if key == layout.UNIFIED:
            _enable_controllers(level.parent)


def _enable_controllers(parent: Path) -> None:
    """v2: a child can use only what its parent's subtree_control hands down."""
    try:
        wanted = set(_read(parent / "cgroup.controllers").split())
        enabled = set(_read(parent / "cgroup.subtree_control").split())
    except OSError:
        return
    for controller in sorted(wanted - enabled):
        try:
            (parent / "cgroup.subtree_control").write_text(f"+{controller}")
        except OSError:
            continue  # a controller the parent cannot delegate (e.g. it holds processes)


def _raise_memsw(d: Path, value: str) -> None:
    memsw = d / "memory.memsw.limit_in_bytes"
    if memsw.exists():
        memsw.write_text(value)


def _read(path: Path) -> str:
    return path.read_text().strip()


def _events(d: Path) -> dict[str, str]:
    return dict(line.split() for line in _read(d / "cgroup.events").splitlines())
