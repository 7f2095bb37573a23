"""Spawn the sandbox process (ext/runu-sandbox) that `create` leaves waiting for `start`.

It takes fixed descriptors (runu.abi, from ext/runu-abi.h) besides the container's stdio.
"""

import _socket  # socket.py's import costs create more than the launcher's start does
import os
import signal
from array import array
from pathlib import Path

from runu import abi, caller, nsfile, paths
from runu.errors import RunuError
from runu.guest import HostMount
from runu.sandbox.base import RootDevice, RootNeed, RootProc, RootTmpfs


# OCI namespace types the launcher can make or join; the guest kernel is its own
# pid, user, cgroup and time namespace, so those need nothing on the host.
_NAMESPACES = {"network": "net", "uts": "uts", "ipc": "ipc", "mount": "mnt"}
# Namespaces of the host that a process in the guest cannot be in: asked for by path, refused.
_HOST_ONLY = ("pid", "mount", "cgroup", "user", "time")
# Launching.finish sends the arguments in messages of at most this size (a SOCK_SEQPACKET
# message must fit the socket's send buffer).
_ARGS_CHUNK = 32 * 1024


class Launched:
    def __init__(self, pid: int, commit_fd: int):
        self.pid = pid  # the sandbox's init: the container's pid
        self.commit_fd = commit_fd  # write one byte to keep the sandbox; close to make it give up


def namespace_args(spec: dict) -> list[str]:
    args = []
    for i, ns in enumerate(spec.get("linux", {}).get("namespaces", [])):
        if ns.get("path") and ns["type"] in _HOST_ONLY:
            raise RunuError(f"linux.namespaces[{i}]: a {ns['type']} namespace of the host ({ns['path']}) "
                            "cannot be joined: the container's processes run in their own kernel")
        kind = _NAMESPACES.get(ns.get("type"))
        if kind is None:
            continue
        if ns.get("path"):
            nsfile.check(ns["path"], ns["type"])
            args += ["--join", kind, ns["path"]]
        elif kind != "mnt":
            args += ["--unshare", kind]
    return args


def _cgroup_args(cgroup) -> list[str]:
    """The launcher joins the container's cgroup first thing, before it makes anything."""
    return [arg for procs in cgroup.procs_files() for arg in ("--cgroup", procs)]


def _mountpoint(root: Path, target: str, is_file: bool) -> None:
    path = root / target.lstrip("/")
    if is_file:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    else:
        path.mkdir(parents=True, exist_ok=True)


def _own(readonly: bool, idmapped: bool) -> str:
    """The container's own files: mounted idmapped onto its id range (when it has one)."""
    return ("ro" if readonly else "rw") + (",idmap" if idmapped else "")


def idmap_sources(rootfs: Path, host_mounts: list[HostMount]) -> list[str]:
    """The host directories the container's files come from: what idmapped mounts must serve."""
    from runu.overlaylayers import layers_of

    layers = layers_of(rootfs)
    own = [*layers.lowers, str(Path(layers.upper).parent)] if layers else [str(rootfs)]
    return own + [str(m.source) for m in host_mounts]


# The work directory of runu's own overlay of a rootfs's layers: beside the upper directory (it
# must share its mount), not the owner's (its overlay stays mounted). Removed at delete.
OVERLAY_WORK = "runu-work"


def _rootfs_args(root: Path, target: str, rootfs: Path, readonly: bool, idmapped: bool,
                 made: list[str]) -> list[str]:
    """An overlay rootfs is rebuilt from its layers, each idmapped (runu.overlaylayers);
    any other directory is bound idmapped. Host paths made for it are added to `made`."""
    from runu.overlaylayers import layers_of

    _mountpoint(root, target, is_file=False)
    layers = layers_of(rootfs) if idmapped else None
    if layers is None:
        return ["--bind", str(rootfs), target, _own(readonly, idmapped)]
    for i in range(len(layers.lowers)):
        _mountpoint(root, f"layers/{i}", is_file=False)
    _mountpoint(root, "layers/upper", is_file=False)
    work = Path(layers.upper).parent / OVERLAY_WORK
    made.append(str(work))
    work.mkdir(mode=0o700, exist_ok=True)
    return ["--overlay", target, ":".join(layers.lowers), layers.upper, work.name, "ro" if readonly else "rw"]


def root_args(root: Path, rootfs: Path, readonly_rootfs: bool, needs: list[RootNeed],
              host_mounts: list[HostMount], host_ids: int, made: list[str], guest_dir: str = "") -> list[str]:
    """Mountpoints in the sandbox root, and the launcher's arguments that fill them; host paths
    made outside the sandbox root are added to `made` (delete removes them). Host ids 0: the
    namespace maps the host's same ids, and the container's files are bound as they are. The
    rootfs and the volumes go in `guest_dir` (the kind's)."""
    idmapped = host_ids != 0
    args = ["--ids", str(host_ids), "--bind", str(root), ".", "ro",
            *_rootfs_args(root, f"{guest_dir}/rootfs".lstrip("/"), rootfs, readonly_rootfs, idmapped, made)]
    for need in needs:
        if isinstance(need, RootDevice):
            # The launcher makes the node on a tmpfs of its own at the target's directory.
            _mountpoint(root, str(Path(need.target).parent), is_file=False)
            args += ["--device", need.host_path, need.target]
        elif isinstance(need, RootProc):
            _mountpoint(root, need.target, is_file=False)
            args += ["--proc", need.target]
        elif isinstance(need, RootTmpfs):
            _mountpoint(root, need.target, is_file=False)
            args += ["--tmpfs", need.target]
        else:
            _mountpoint(root, need.target, need.is_file)
            args += ["--bind", need.source, need.target,
                     _own(need.readonly, idmapped) if need.own else "ro" if need.readonly else "rw"]
    args += _host_mount_args(root, guest_dir, "", host_mounts, idmapped)
    _mountpoint(root, "tmp", is_file=False)
    args += ["--tmpfs", "tmp", "--root", str(root)]
    return args


def member_root_args(root: Path, guest_root: str, rootfs: Path, readonly_rootfs: bool,
                     host_mounts: list[HostMount], host_ids: int, made: list[str]) -> list[str]:
    """A pod's container: its rootfs and host paths, in its directory `root` of the pod's sandbox
    root (`guest_root` to the guest), as `runu-sandbox --attach` takes them."""
    idmapped = host_ids != 0
    args = ["--ids", str(host_ids), *_rootfs_args(root, "rootfs", rootfs, readonly_rootfs, idmapped, made)]
    return [*args, *_host_mount_args(root, "", guest_root, host_mounts, idmapped), "--root", str(root)]


def _host_mount_args(root: Path, guest_dir: str, guest_root: str, host_mounts: list[HostMount],
                     idmapped: bool) -> list[str]:
    args = []
    for m in host_mounts:
        # A file is exposed as the only entry of its own directory (hostfs mounts directories).
        target = guest_dir + m.sandbox_path.removeprefix(guest_root) + ("/file" if m.is_file else "")
        _mountpoint(root, target, m.is_file)
        args += ["--bind", str(m.source), target.lstrip("/"), _own(m.readonly, idmapped)]
    return args


def _reap_if_ours(pid: int) -> None:
    """A subreaper caller (runu run) adopts the init when the launcher exits."""
    try:
        if pid:
            os.waitpid(pid, 0)
    except ChildProcessError:
        pass


class Launching:
    """A launcher started as soon as the container's cgroup is known: it joins the cgroup (a first
    move into a cgroup waits out an RCU grace period) while create works out the rest, which
    `finish` sends: the descriptors (they depend on the sandbox kind) and the other arguments."""

    def __init__(self, pid: int, status_fd: int, commit_fd: int, args_sock):
        self.pid, self._status_fd, self._commit_fd, self._args = pid, status_fd, commit_fd, args_sock

    def finish(self, args: list[str], stdio: tuple[int, int, int], fds: dict[int, int]) -> Launched:
        """Send `stdio` and `fds` (number in the launcher -> ours) and the rest of the arguments;
        return once the sandbox root is ready (or raise)."""
        passed = {0: stdio[0], 1: stdio[1], 2: stdio[2], **fds}
        words = b"".join(os.fsencode(arg) + b"\0" for arg in args) + b"\0"
        try:
            self._args.sendmsg([",".join(map(str, passed)).encode()],
                               [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array("i", passed.values()))])
            for at in range(0, len(words), _ARGS_CHUNK):
                self._args.send(words[at:at + _ARGS_CHUNK])
        except (BrokenPipeError, ConnectionResetError):
            pass  # the launcher gave up already: its status says why
        finally:
            self._args.close()
        with os.fdopen(self._status_fd, "rb") as status:
            self._status_fd = None
            lines = status.read().decode(errors="replace").splitlines()
        caller.reap(self.pid)  # it exits once its init is forked
        init = next((int(line.split()[1]) for line in lines if line.startswith("pid ")), 0)
        report = " ".join(line for line in lines if not line.startswith("pid ")).strip()
        if report != "ok" or not init:
            os.close(self._commit_fd)
            _reap_if_ours(init)
            raise RunuError(report or "sandbox launcher died")
        return Launched(init, self._commit_fd)

    def abandon(self) -> None:
        """create failed before finish: end the launcher (not yet reaped), which has
        made nothing but its cgroup move, before it reports the cut-short arguments. After
        finish, nothing: finish reaped it and gave its descriptors on."""
        if self._status_fd is None:
            return
        os.kill(self.pid, signal.SIGKILL)
        caller.reap(self.pid)
        self._args.close()
        for fd in (self._status_fd, self._commit_fd):
            os.close(fd)


def start(container_id: str, cgroup) -> Launching:
    """Start the launcher with only its cgroup to join; the rest go to Launching.finish."""
    status_r, status_w = os.pipe2(os.O_CLOEXEC)
    commit_r, commit_w = os.pipe2(os.O_CLOEXEC)
    args_ours, args_theirs = _socket.socketpair(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
    wanted = {abi.FD_STATUS: status_w, abi.FD_COMMIT: commit_r, abi.FD_ARGS: args_theirs.fileno()}
    argv = [str(paths.sandbox_launcher()), "--id", container_id, *_cgroup_args(cgroup), "--more-args"]
    try:
        pid = caller.spawn(argv, wanted)
    except FileNotFoundError:
        args_ours.close()
        for fd in (status_r, commit_w):
            os.close(fd)
        raise RunuError(f"sandbox launcher {argv[0]} is missing (run `invoke setup`)") from None
    finally:
        args_theirs.close()
        for fd in (status_w, commit_r):
            os.close(fd)
    return Launching(pid, status_r, commit_w, args_ours)
