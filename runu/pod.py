"""Pods, one kernel each (containerd's CRI marks them with annotations).

The pod's sandbox container (`io.kubernetes.cri.container-type: sandbox`) is an ordinary runu
container: it boots the pod's kernel and takes the pod's network. Each later container of the
pod (`container`, `io.kubernetes.cri.sandbox-id: POD`) runs inside that kernel: at create its
root and mounts are mounted into the pod's sandbox root (runu-sandbox --attach, idmapped like the
pod's own), and a host stand-in (a relay, its pid the container's) waits; at start the relay asks
the guest's agent to start it (RUNU_AGENT_CONTAINER) in a mount namespace of its own, sharing the
pod's network, hostname and pid namespace. Signals to the relay reach the process, the relay
exits with its status, and delete takes the mounts away again.
"""

import os
import time
from pathlib import Path

from runu import abi
from runu.errors import RunuError
from runu.paths import sandbox_launcher

CONTAINER_TYPE = "io.kubernetes.cri.container-type"
SANDBOX_ID = "io.kubernetes.cri.sandbox-id"
MEMBERS = "pods"  # in the pod's state directory, and at the root of its sandbox
START_FIFO, STARTED_FIFO = "start.fifo", "started.fifo"
GUEST_PID = "guest.pid"  # its process's pid in the guest, for exec to join it


def pod_of(spec: dict, container_id: str) -> str | None:
    """The pod whose kernel this container runs in, if it is a pod's later container."""
    annotations = spec.get("annotations", {})
    if annotations.get(CONTAINER_TYPE) != "container":
        return None
    pod = annotations.get(SANDBOX_ID)
    if not pod or pod == container_id:
        raise RunuError(f"{CONTAINER_TYPE} is container but {SANDBOX_ID} names no other container")
    return pod


def is_pod_sandbox(spec: dict) -> bool:
    return spec.get("annotations", {}).get(CONTAINER_TYPE) == "sandbox"


def member_root(pod_dir: Path, container_id: str) -> Path:
    """On the host: the directory of the pod's sandbox root that holds a member's mounts."""
    return pod_dir / MEMBERS / container_id


def guest_root(container_id: str) -> str:
    """The same directory as the guest's kernel sees it (its host filesystem's root is the
    pod's sandbox root)."""
    return f"/{MEMBERS}/{container_id}"


def _launcher(*args: str) -> None:
    import subprocess  # not at import: every create asks pod_of, few need this

    done = subprocess.run([str(sandbox_launcher()), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise RunuError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else
                        f"runu-sandbox {args[0]} failed ({done.returncode})")


def attach(pod_pid: int, launcher_args: list[str]) -> None:
    """Mount a member's root and mounts into the pod's sandbox."""
    _launcher("--attach", str(pod_pid), *launcher_args)


def detach(pod_pid: int, root: Path) -> None:
    _launcher("--detach", str(pod_pid), str(root))


def start_relay(container_dir: Path, pod_dir: Path, container_id: str, description: bytes,
                console: int | None) -> int:
    """Fork the member's host stand-in; it waits for `release` and then runs the container."""
    os.mkfifo(container_dir / START_FIFO, 0o600)
    os.mkfifo(container_dir / STARTED_FIFO, 0o600)
    pid = os.fork()
    if pid:
        return pid
    status = 126
    try:
        # Nothing of create's (the state directory's lock above all) stays open in it.
        if console is not None:
            os.dup2(console, 3)
            console = 3
        os.closerange(3 if console is None else 4, os.sysconf("SC_OPEN_MAX"))
        status = _relay(container_dir, pod_dir, container_id, description, console)
    finally:
        os._exit(status)


def _relay(container_dir: Path, pod_dir: Path, container_id: str, description: bytes,
           console: int | None) -> int:
    from runu.agent import Session
    from runu.execrelay import relay_alone

    with open(container_dir / START_FIFO, "rb") as start:
        if start.read(1) != b"s":
            return 126  # deleted before start
    with open(container_dir / STARTED_FIFO, "w") as started:
        try:
            session = Session(pod_dir, container_id)
            guest_pid = session.start(abi.AGENT_CONTAINER, description)
        except (OSError, RunuError) as e:
            started.write(f"error {e}\n")
            return 126
        (container_dir / GUEST_PID).write_text(str(guest_pid))
        started.write("ok\n")
    return relay_alone(session, console)


def release(container_dir: Path, relay_alive) -> None:
    """`start`: let the relay run the container; its start or its error is start's. Neither
    side blocks on a stand-in that is gone (`relay_alive()` says)."""
    import select

    gone = RunuError(f"container {container_dir.name}: its stand-in ended before it started")
    try:
        start = os.open(container_dir / START_FIFO, os.O_WRONLY | os.O_NONBLOCK)
    except OSError:
        raise gone from None  # ENXIO: nobody reads it
    started = os.open(container_dir / STARTED_FIFO, os.O_RDONLY | os.O_NONBLOCK)
    try:
        os.write(start, b"s")
        answer = b""
        while not answer.endswith(b"\n"):
            if not select.select([started], [], [], 0.1)[0]:
                if not relay_alive():
                    raise gone
                continue
            chunk = os.read(started, 512)
            if not chunk and not relay_alive():
                raise gone
            answer += chunk
            if not chunk:
                time.sleep(0.01)  # no writer yet: EOF until the relay opens it
    finally:
        os.close(start)
        os.close(started)
    word = answer.decode(errors="replace").strip()
    if word != "ok":
        raise RunuError(word.removeprefix("error "))


def join_prefix(container_dir: Path) -> bytes:
    """What an exec description starts with to run beside a pod's container: its process's pid."""
    try:
        pid = (container_dir / GUEST_PID).read_text()
    except FileNotFoundError:
        raise RunuError(f"container {container_dir.name} has not started") from None
    return b"join\0" + pid.encode() + b"\0"
