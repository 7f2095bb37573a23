"""The description of the container's process that the in-guest init reads.

The init is a small static C program, so the description is flat: NUL-
terminated tokens, each record a keyword and a fixed number of fields. The
policy (what a mount becomes inside the guest, which flags apply) is decided
here; the init only carries it out.
"""

import os
import re
import resource
from pathlib import Path

from runu import capabilities, firewall
from runu.errors import RunuError

# mount(2) flags for the OCI mount options that are flags rather than data.
_MS = {
    "ro": 1, "nosuid": 2, "nodev": 4, "noexec": 8, "sync": 16, "remount": 32,
    "mand": 64, "dirsync": 128, "noatime": 1024, "nodiratime": 2048,
    "bind": 4096, "rbind": 4096 | 16384, "relatime": 1 << 21, "strictatime": 1 << 24,
}
# Propagation types of mount(2), for bind options and linux.rootfsPropagation.
PROPAGATION = {"private": 1 << 18, "slave": 1 << 19, "shared": 1 << 20, "unbindable": 1 << 17}
_RECURSIVE = 1 << 14  # MS_REC
_IGNORED = {"rw", "suid", "dev", "exec", "atime", "diratime", "async", "norelatime", "nostrictatime",
            "newinstance", *PROPAGATION, *(f"r{name}" for name in PROPAGATION)}
_DEVICE_TYPES = {"c": "c", "u": "c", "b": "b", "p": "p"}
_KERNEL_FS = {"proc", "sysfs", "tmpfs", "devpts", "mqueue", "devtmpfs", "cgroup", "cgroup2"}
# Namespaces the guest kernel gives the container's process when the spec asks for new ones
# (mount, uts, ipc and network are the guest's own already: its kernel is the container's).
_GUEST_NAMESPACES = ("pid", "cgroup")


class HostMount:
    """A host path the sandbox root must expose at `sandbox_path` for a bind mount."""

    def __init__(self, source: Path, sandbox_path: str, readonly: bool, is_file: bool):
        self.source, self.sandbox_path, self.readonly, self.is_file = source, sandbox_path, readonly, is_file


def _flags_and_data(options: list[str]) -> tuple[int, str]:
    flags, data = 0, []
    for opt in options:
        if opt in _MS:
            flags |= _MS[opt]
        elif opt not in _IGNORED:
            data.append(opt)
    return flags, ",".join(data)


class GuestDescription:
    """Builds /meta/process and the list of host paths the sandbox must expose (under
    `volumes`, a directory of the sandbox root)."""

    def __init__(self, volumes: str = "/volumes"):
        self.tokens: list[str] = []
        self.host_mounts: list[HostMount] = []
        self.volumes = volumes

    def record(self, keyword: str, *fields) -> None:
        for value in (keyword, *fields):
            text = str(value)
            if "\0" in text:
                raise RunuError(f"{keyword}: NUL byte in {text!r}")
            self.tokens.append(text)

    def encode(self) -> bytes:
        return b"".join(t.encode() + b"\0" for t in self.tokens)

    def add_mount(self, mount: dict) -> None:
        dest = mount["destination"]
        if not dest.startswith("/"):
            raise RunuError(f"mount destination {dest!r} must be absolute")
        options = mount.get("options", [])
        kind = mount.get("type", "")
        flags, data = _flags_and_data(options)
        if kind == "bind" or "bind" in options or "rbind" in options:
            self._add_bind(mount, dest, flags & ~_MS["rbind"])
            return
        if kind not in _KERNEL_FS:
            raise RunuError(f"mount {dest}: unsupported type {kind!r}")
        if kind in ("cgroup", "cgroup2"):
            # The sandbox kernels have no cgroups (the kernel is the resource
            # boundary), and sysfs offers no /sys/fs/cgroup to mount them on.
            return
        self.record("mount", "fs", kind, mount.get("source", kind), dest, flags, data)
        if dest == "/dev":
            # As runc does on a /dev of its own: the default devices and symlinks go in it.
            self.record("setupdev")

    def _add_bind(self, mount: dict, dest: str, flags: int) -> None:
        source = Path(mount.get("source", ""))
        if not source.is_absolute() or not source.exists():
            raise RunuError(f"bind mount source {str(source)!r} does not exist")
        index = len(self.host_mounts)
        is_file = not source.is_dir()
        sandbox_path = f"{self.volumes}/{index}"
        readonly = bool(flags & _MS["ro"])
        self.host_mounts.append(HostMount(source, sandbox_path, readonly, is_file))
        kind = "hostfile" if is_file else "hostdir"
        self.record("mount", kind, "hostfs", sandbox_path, dest, flags, "")
        propagation = _propagation(mount.get("options", []))
        if propagation:
            self.record("propagation", dest, propagation)


def _propagation(options: list[str]) -> int:
    """mount(2) flags of the last propagation option (rshared: shared and recursive), or 0."""
    flags = 0
    for opt in options:
        name = opt[1:] if opt.startswith("r") and opt[1:] in PROPAGATION else opt
        if name in PROPAGATION:
            flags = PROPAGATION[name] | (_RECURSIVE if name != opt else 0)
    return flags


def rlimit_number(name: str) -> int:
    try:
        return getattr(resource, name)
    except AttributeError:
        raise RunuError(f"unknown rlimit {name!r}") from None


def describe_process(proc: dict, stdio_mode: str, root: str | None = None) -> GuestDescription:
    """The process's own fields (what `runu exec` sends the guest's agent); `stdio_mode` is terminal,
    pipes or pipes-nostdin. A pod's container names its `root` (a directory of the pod's sandbox
    root), and its host paths go under it."""
    desc = GuestDescription(f"{root}/volumes" if root else "/volumes")
    desc.record("stdio", "terminal" if proc.get("terminal") else stdio_mode)
    if root:
        desc.record("root", f"{root}/rootfs")
    for arg in proc["args"]:
        desc.record("arg", arg)
    for env in proc.get("env", []):
        desc.record("env", env)
    desc.record("cwd", proc.get("cwd", "/"))
    user = proc.get("user", {})
    desc.record("user", user.get("uid", 0), user.get("gid", 0))
    for gid in user.get("additionalGids", []):
        desc.record("group", gid)
    if "umask" in user:
        desc.record("umask", user["umask"])
    for rl in proc.get("rlimits", []):
        desc.record("rlimit", rlimit_number(rl["type"]), rl["soft"], rl["hard"])
    caps = proc.get("capabilities")
    if caps is not None:
        sets = ("bounding", "effective", "permitted", "inheritable", "ambient")
        desc.record("caps", *(capabilities.mask(caps.get(s, [])) for s in sets))
    if proc.get("noNewPrivileges"):
        desc.record("nonewprivs")
    if "oomScoreAdj" in proc:
        desc.record("oom", proc["oomScoreAdj"])
    return desc


def describe(spec: dict, stdio_mode: str, root: str | None = None, merged: bool = False) -> GuestDescription:
    """The guest description of a checked spec; `stdio_mode` is terminal, pipes or pipes-nostdin;
    `root` for a pod's container (describe_process); `merged`: the host's stdout and stderr are
    one file, and the process's stderr goes where its stdout goes."""
    desc = describe_process(spec["process"], stdio_mode, root)
    if merged and not spec["process"].get("terminal"):
        desc.record("stderr", "stdout")
    # As under runc, where a new UTS namespace starts as a copy of the host's: no hostname (or
    # an empty one) leaves the host's name.
    desc.record("hostname", spec.get("hostname") or os.uname().nodename)
    for key, value in spec.get("linux", {}).get("sysctl", {}).items():
        # linux.sysctl belongs to the container's kernel: here, the guest's own.
        if not re.fullmatch(r"[a-z0-9_]+(\.[A-Za-z0-9_-]+)+", key):
            raise RunuError(f"invalid sysctl name {key!r}")
        desc.record("sysctl", key.replace(".", "/"), value)
    linux = spec.get("linux", {})
    for ns in linux.get("namespaces", []):
        if ns["type"] in _GUEST_NAMESPACES and not ns.get("path"):
            desc.record("newns", ns["type"])
    for mount in spec.get("mounts", []):
        desc.add_mount(mount)
    for device in linux.get("devices", []):
        desc.record("device", _DEVICE_TYPES[device["type"]], device["path"], device.get("major", 0),
                    device.get("minor", 0), device.get("fileMode", 0o666), device.get("uid", 0), device.get("gid", 0))
    for path in linux.get("maskedPaths", []):
        desc.record("masked", path)
    for path in linux.get("readonlyPaths", []):
        desc.record("readonlypath", path)
    if linux.get("rootfsPropagation"):
        desc.record("propagation", "/", _propagation([linux["rootfsPropagation"]]))
    if spec["root"].get("readonly"):
        desc.record("readonly")
    rules = firewall.rules_text(spec)
    if rules is not None:
        for rule in firewall.parse_rules(rules):
            desc.record("fw", *rule)
    return desc
