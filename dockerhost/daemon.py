"""dockerd running with runu registered.

dockerd is started only when none runs, and stopped only if we started it (recorded in
PIDFILE). runu is registered by merging into /etc/docker/daemon.json, never clobbering
what others put there, then dockerd reloads it on SIGHUP.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from dockerhost import DockerHostError
from dockerhost.cgroups import bind_orphan_controllers

console = Console(stderr=True)

RUNTIME = "runu"
RUNU = Path(sys.executable).absolute().parent / "runu"
# What setup registers: runu (its containers' kind is their spec's, else UML), runu-vm and
# runu-lkl (the same runtime, whose default kind is the microVM, or Linux as a library).
OURS = {RUNTIME: {"path": str(RUNU)}, "runu-vm": {"path": str(RUNU), "runtimeArgs": ["--sandbox", "vm"]},
        "runu-lkl": {"path": str(RUNU), "runtimeArgs": ["--sandbox", "lkl"]}}
DAEMON_JSON = Path("/etc/docker/daemon.json")
SOCKET = Path("/var/run/docker.sock")
DOCKER_PID = Path("/var/run/docker.pid")  # written by dockerd itself
PIDFILE = Path("/var/run/runu-dockerd.pid")  # ours: only a dockerd we started
LOG = Path("/var/log/runu-dockerd.log")


def client(timeout: int = 60):
    """An SDK client that negotiates the API version (Debian's dockerd speaks 1.41)."""
    import docker
    return docker.DockerClient(base_url=f"unix://{SOCKET}", version="auto", timeout=timeout)


def _pid_alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/exe").resolve().name == "dockerd"
    except OSError:
        return False


def _read_pid(path: Path) -> int | None:
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _responding() -> bool:
    try:
        client(timeout=5).ping()
        return True
    except Exception:  # no socket, refused, or not answering yet: all mean "not up"
        return False


def _wait(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise DockerHostError(f"timed out after {timeout:.0f} s waiting for {what} (see {LOG})")
        time.sleep(0.1)


def start_daemon() -> bool:
    """Start dockerd in the background unless one answers; True if we started it."""
    if _responding():
        return False
    if _read_pid(DOCKER_PID):  # one runs but is still coming up
        _wait(_responding, "dockerd")
        return False
    with LOG.open("ab") as log:
        proc = subprocess.Popen(["/usr/sbin/dockerd"], stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    PIDFILE.write_text(f"{proc.pid}\n")
    _wait(lambda: proc.poll() is not None or _responding(), "dockerd")
    if proc.poll() is not None:
        PIDFILE.unlink()
        raise DockerHostError(f"dockerd exited with {proc.returncode} (see {LOG})")
    console.print(f"started dockerd (pid {proc.pid}, log {LOG})")
    return True


def stop_daemon() -> bool:
    """Stop the dockerd we started, if it still runs; leave anyone else's alone."""
    pid = _read_pid(PIDFILE)
    PIDFILE.unlink(missing_ok=True)
    if pid is None:
        return False
    os.kill(pid, signal.SIGTERM)
    _wait(lambda: not _pid_alive(pid), f"dockerd {pid} to exit")
    return True


def _write_json_atomically(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _edit_daemon_json(edit) -> bool:
    """Apply edit(config) to daemon.json; write (atomically) only if it changed."""
    try:
        config = json.loads(DAEMON_JSON.read_text() or "{}")
    except FileNotFoundError:
        config = {}
    except json.JSONDecodeError as e:
        raise DockerHostError(f"{DAEMON_JSON} is not valid JSON ({e}); fix it by hand first") from None
    before = json.dumps(config, sort_keys=True)
    edit(config)
    if json.dumps(config, sort_keys=True) == before:
        return False
    _write_json_atomically(DAEMON_JSON, config)
    return True


def _adding(runtimes: dict[str, dict]):
    def edit(config: dict) -> None:
        config.setdefault("runtimes", {}).update(runtimes)
    return edit


def _remove_ours(config: dict) -> None:
    runtimes = config.get("runtimes", {})
    for name in OURS:
        runtimes.pop(name, None)
    if not runtimes:
        config.pop("runtimes", None)


def _runtimes() -> dict[str, dict]:
    """dockerd's runtimes as it lists them: name -> {"path": ..., "runtimeArgs": [...]}."""
    return client().info().get("Runtimes", {})


def _is_registered(listed: dict[str, dict], name: str, entry: dict) -> bool:
    found = listed.get(name, {})
    return found.get("path") == entry["path"] and found.get("runtimeArgs", []) == entry.get("runtimeArgs", [])


def reload_daemon() -> None:
    """SIGHUP makes dockerd re-read daemon.json (runtimes are reloadable)."""
    pid = _read_pid(DOCKER_PID)
    if pid is None:
        raise DockerHostError(f"no dockerd pid in {DOCKER_PID}")
    os.kill(pid, signal.SIGHUP)


def ensure_docker(extra_runtimes: dict[str, str] | None = None) -> None:
    """dockerd answering with runu and runu-vm (and `extra_runtimes`, name -> path) registered:
    what setup, tests and benchmarks rely on."""
    bind_orphan_controllers()
    wanted = {**OURS, **{name: {"path": path} for name, path in (extra_runtimes or {}).items()}}
    changed = _edit_daemon_json(_adding(wanted))
    if start_daemon():
        changed = False  # a fresh daemon read the file already

    def registered() -> bool:
        listed = _runtimes()
        return all(_is_registered(listed, name, entry) for name, entry in wanted.items())

    if changed or not registered():
        reload_daemon()
        _wait(registered, f"dockerd to list {', '.join(wanted)}")
        names = ", ".join(f"{name} ({entry['path']})" for name, entry in wanted.items())
        console.print(f"registered with dockerd: {names}")


def registration_problems() -> list[str]:
    """Why `docker run --runtime=runu` would not reach this checkout's runu, if it would not."""
    if not _responding():
        return [f"no dockerd answers on {SOCKET}"]
    listed = _runtimes()
    return [f"dockerd's runtime {name} is {listed.get(name) or 'not registered'}, not {entry}"
            for name, entry in OURS.items() if not _is_registered(listed, name, entry)]


def unregister() -> None:
    """runu out of daemon.json, dockerd reloaded if it runs (other settings stay)."""
    if _edit_daemon_json(_remove_ours) and _read_pid(DOCKER_PID):
        reload_daemon()
        _wait(lambda: not set(OURS) & set(_runtimes()), f"dockerd to drop {', '.join(OURS)}")
