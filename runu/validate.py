"""config.json checked in one pass at create, before anything is made.

Every field runu reads must have the type and range the runtime-spec gives
it; an error names the field as it sits in the JSON (`process.env[3]: ...`).
runc is the reference where it refuses; where a kernel per container needs
more (a guest needs memory to boot), the message says so.
"""

import re

from runu.capabilities import CAPABILITIES
from runu.errors import RunuError
from runu.hooks import PHASES as HOOK_PHASES

NAMESPACE_TYPES = ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")
PROPAGATIONS = ("", "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable")
SUPPORTED_VERSION = re.compile(r"^1\.\d+\.\d+(-[0-9A-Za-z.+-]+)?$")
UINT32_MAX = 2**32 - 1
INT64_MAX = 2**63 - 1

_JSON_NAMES = {dict: "an object", list: "a list", str: "a string", int: "an integer", bool: "true or false"}


def _fail(where: str, problem: str):
    raise RunuError(f"{where}: {problem}")


def _json_type(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, float):
        return "a fraction"
    return _JSON_NAMES.get(type(value), type(value).__name__)


def _typed(value, kind: type, where: str):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        _fail(where, f"must be {_JSON_NAMES[kind]}, not {_json_type(value)}{_shown(value)}")
    return value


def _shown(value) -> str:
    text = repr(value)
    return f" ({text})" if isinstance(value, (str, int, float)) and len(text) <= 40 else ""


def _member(parent: dict, key: str, kind: type, where: str, required: bool = False):
    """parent[key] checked for `kind`; an empty value of that kind when absent (or null)."""
    path = f"{where}.{key}" if where else key
    if parent.get(key) is None:
        if required:
            _fail(path, "is required")
        return kind()
    return _typed(parent[key], kind, path)


def _integer(value, where: str, low: int, high: int):
    _typed(value, int, where)
    if value < low:
        _fail(where, f"{value} is below the least allowed, {low}")
    if value > high:
        _fail(where, f"{value} is above the most allowed, {high}")
    return value


def _absolute(value, where: str) -> str:
    _typed(value, str, where)
    if not value.startswith("/"):
        _fail(where, f"{value!r} must be an absolute path")
    return value


def _strings(values: list, where: str) -> None:
    for i, value in enumerate(values):
        _typed(value, str, f"{where}[{i}]")
        if "\0" in value:
            _fail(f"{where}[{i}]", "holds a NUL byte")


def _environment(values: list, where: str) -> None:
    _strings(values, where)
    for i, entry in enumerate(values):
        if not entry.partition("=")[0] or "=" not in entry:
            _fail(f"{where}[{i}]", f"{entry[:40]!r} is not KEY=VALUE")


def _version(spec: dict) -> None:
    version = _member(spec, "ociVersion", str, "", required=True)
    if not SUPPORTED_VERSION.match(version):
        _fail("ociVersion", f"{version!r} is not supported (runu implements runtime-spec 1.x)")


def _process(process: dict) -> None:
    args = _member(process, "args", list, "process", required=True)
    if not args:
        _fail("process.args", "must name the program to run")
    _strings(args, "process.args")
    _environment(_member(process, "env", list, "process"), "process.env")
    _absolute(_member(process, "cwd", str, "process", required=True), "process.cwd")
    _member(process, "terminal", bool, "process")
    _member(process, "noNewPrivileges", bool, "process")
    if "oomScoreAdj" in process:
        _integer(process["oomScoreAdj"], "process.oomScoreAdj", -1000, 1000)
    user = _member(process, "user", dict, "process")
    for key in ("uid", "gid"):
        if key in user:
            _integer(user[key], f"process.user.{key}", 0, UINT32_MAX)
    for i, gid in enumerate(_member(user, "additionalGids", list, "process.user")):
        _integer(gid, f"process.user.additionalGids[{i}]", 0, UINT32_MAX)
    if "umask" in user:
        _integer(user["umask"], "process.user.umask", 0, 0o7777)
    capabilities = _member(process, "capabilities", dict, "process")
    for name, values in capabilities.items():
        where = f"process.capabilities.{name}"
        _strings(_typed(values, list, where), where)
        for i, cap in enumerate(values):
            if cap.upper() not in CAPABILITIES:
                _fail(f"{where}[{i}]", f"unknown capability {cap!r}")
    for i, rlimit in enumerate(_member(process, "rlimits", list, "process")):
        where = f"process.rlimits[{i}]"
        _typed(rlimit, dict, where)
        kind = _member(rlimit, "type", str, where, required=True)
        if not re.fullmatch(r"RLIMIT_[A-Z]+", kind):
            _fail(f"{where}.type", f"unknown rlimit {kind!r}")
        soft = _integer(rlimit.get("soft"), f"{where}.soft", 0, 2**64 - 1)
        hard = _integer(rlimit.get("hard"), f"{where}.hard", 0, 2**64 - 1)
        if soft > hard:
            _fail(where, f"soft limit {soft} is above the hard limit {hard}")


def _mounts(mounts: list) -> None:
    for i, mount in enumerate(mounts):
        where = f"mounts[{i}]"
        _typed(mount, dict, where)
        _absolute(_member(mount, "destination", str, where, required=True), f"{where}.destination")
        _member(mount, "type", str, where)
        _member(mount, "source", str, where)
        _strings(_member(mount, "options", list, where), f"{where}.options")


def _hooks(hooks: dict) -> None:
    for phase in HOOK_PHASES:
        for i, hook in enumerate(_member(hooks, phase, list, "hooks")):
            where = f"hooks.{phase}[{i}]"
            _typed(hook, dict, where)
            _absolute(_member(hook, "path", str, where, required=True), f"{where}.path")
            _strings(_member(hook, "args", list, where), f"{where}.args")
            _environment(_member(hook, "env", list, where), f"{where}.env")
            if hook.get("timeout") is not None:
                _integer(hook["timeout"], f"{where}.timeout", 1, INT64_MAX)


def _string_map(values: dict, where: str) -> None:
    for key, value in values.items():
        _typed(value, str, f"{where}[{key!r}]")


def _namespaces(namespaces: list) -> None:
    seen = set()
    for i, ns in enumerate(namespaces):
        where = f"linux.namespaces[{i}]"
        _typed(ns, dict, where)
        kind = _member(ns, "type", str, where, required=True)
        if kind not in NAMESPACE_TYPES:
            _fail(f"{where}.type", f"unknown namespace type {kind!r} (known: {', '.join(NAMESPACE_TYPES)})")
        if kind in seen:
            _fail(f"{where}.type", f"namespace type {kind!r} appears twice")
        seen.add(kind)
        if ns.get("path") is not None:
            _absolute(ns["path"], f"{where}.path")


def _resources(resources: dict) -> None:
    """Types and the kernel's own ranges; what a sandbox kind can take is its own check."""
    where = "linux.resources"
    memory = _member(resources, "memory", dict, where)
    for key in ("limit", "reservation", "swap", "kernel", "kernelTCP"):
        if memory.get(key) is not None:
            _integer(memory[key], f"{where}.memory.{key}", -1, INT64_MAX)
    cpu = _member(resources, "cpu", dict, where)
    if cpu.get("quota") is not None:
        quota = _integer(cpu["quota"], f"{where}.cpu.quota", -1, INT64_MAX)
        if 0 < quota < 1000:
            _fail(f"{where}.cpu.quota", f"{quota} is below the kernel's minimum of 1000 microseconds")
    if cpu.get("period"):
        _integer(cpu["period"], f"{where}.cpu.period", 1000, 1_000_000)
    for key in ("shares", "realtimeRuntime", "realtimePeriod"):
        if cpu.get(key) is not None:
            _integer(cpu[key], f"{where}.cpu.{key}", 0, INT64_MAX)
    for key in ("cpus", "mems"):
        _member(cpu, key, str, f"{where}.cpu")
    pids = _member(resources, "pids", dict, where)
    if pids.get("limit") is not None:
        _integer(pids["limit"], f"{where}.pids.limit", -1, INT64_MAX)


def _linux(linux: dict) -> None:
    _namespaces(_member(linux, "namespaces", list, "linux"))
    _resources(_member(linux, "resources", dict, "linux"))
    _string_map(_member(linux, "sysctl", dict, "linux"), "linux.sysctl")
    for key in ("maskedPaths", "readonlyPaths"):
        for i, path in enumerate(_member(linux, key, list, "linux")):
            _absolute(path, f"linux.{key}[{i}]")
    for i, device in enumerate(_member(linux, "devices", list, "linux")):
        where = f"linux.devices[{i}]"
        _typed(device, dict, where)
        kind = _member(device, "type", str, where, required=True)
        if kind not in ("c", "b", "u", "p"):
            _fail(f"{where}.type", f"unknown device type {kind!r} (c, b, u or p)")
        _absolute(_member(device, "path", str, where, required=True), f"{where}.path")
        for key, high in (("major", 2**32 - 1), ("minor", 2**32 - 1), ("fileMode", 0o7777),
                          ("uid", UINT32_MAX), ("gid", UINT32_MAX)):
            if device.get(key) is not None:
                _integer(device[key], f"{where}.{key}", 0, high)
    propagation = _member(linux, "rootfsPropagation", str, "linux")
    if propagation not in PROPAGATIONS:
        _fail("linux.rootfsPropagation", f"unknown propagation {propagation!r}")
    _member(linux, "cgroupsPath", str, "linux")


def validate(spec: dict) -> None:
    """Raise a RunuError naming the first field that is wrong."""
    _version(spec)
    root = _member(spec, "root", dict, "", required=True)
    if not _member(root, "path", str, "root", required=True):
        _fail("root.path", "must not be empty")
    _member(root, "readonly", bool, "root")
    _process(_member(spec, "process", dict, "", required=True))
    _member(spec, "hostname", str, "")
    _mounts(_member(spec, "mounts", list, ""))
    _hooks(_member(spec, "hooks", dict, ""))
    _string_map(_member(spec, "annotations", dict, ""), "annotations")
    _linux(_member(spec, "linux", dict, ""))


# Resources the sandbox has no means to bound yet (it runs in no cgroup of its own): asked
# for, they draw a warning rather than pass unseen. Zero values are "not set" (Docker's).
# Enforced through the container's cgroup (runu.cgroup) are shares, quota and period, cpus,
# mems, the memory limit, swap and reservation, pids and the block I/O weight.
_UNENFORCED = (("cpu", ("realtimeRuntime", "realtimePeriod")), ("memory", ("kernel", "kernelTCP")),
               ("blockIO", ("leafWeight",)))


def unenforced_resources(spec: dict) -> list[str]:
    """The linux.resources fields set in `spec` that runu does not enforce."""
    resources = spec.get("linux", {}).get("resources", {})
    return [f"linux.resources.{group}.{key}" for group, keys in _UNENFORCED for key in keys
            if resources.get(group, {}).get(key) not in (None, 0, "", -1)]
