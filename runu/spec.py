"""The bundle's config.json: loading, the checks runu needs, and `runu spec`'s default."""

import json
from pathlib import Path

from runu import OCI_VERSION
from runu.errors import RunuError

ANNOTATION_SANDBOX = "org.runu.sandbox"
ANNOTATION_PROFILE = "org.runu.kernel.profile"
ANNOTATION_KERNEL_ARGS = "org.runu.kernel.args"  # guest kernel tuning, NAME=VALUE ... (runu/sandbox/uml.py)
# Docker 20.10 hands the runtime neither image labels nor annotations, so an image carries
# these settings in its ENV too; an annotation, when present, wins.
ENV_FALLBACK = {ANNOTATION_PROFILE: "RUNU_KERNEL_PROFILE", ANNOTATION_KERNEL_ARGS: "RUNU_KERNEL_ARGS",
                ANNOTATION_SANDBOX: "RUNU_SANDBOX"}


def load_spec(bundle: Path) -> dict:
    """Read and check B/config.json (at create: the only time runu reads it); every problem
    is one RunuError naming the field."""
    from runu.validate import validate

    path = bundle / "config.json"
    spec = read_spec(path)
    if not isinstance(spec, dict):
        raise RunuError(f"{path}: not a JSON object")
    validate(spec)
    rootfs = rootfs_path(bundle, spec)
    if not rootfs.is_dir():
        raise RunuError(f"rootfs {rootfs} does not exist")
    return spec


def read_spec(path: Path):
    """The JSON of a config.json: the bundle's at create, the container's own copy later."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise RunuError(f"{path}: no such file (is --bundle right?)") from None
    except json.JSONDecodeError as e:
        raise RunuError(f"{path}: invalid JSON: {e}") from None


def rootfs_path(bundle: Path, spec: dict) -> Path:
    root = Path(spec["root"]["path"])
    return root if root.is_absolute() else (bundle / root)


def annotation(spec: dict, key: str, default: str) -> str:
    """The annotation `key`, else its process env fallback (ENV_FALLBACK), else `default`."""
    value = spec.get("annotations", {}).get(key)
    if value is not None:
        return value
    prefix = ENV_FALLBACK.get(key, "\0") + "="
    found = (e[len(prefix):] for e in spec.get("process", {}).get("env", []) if e.startswith(prefix))
    return next(found, default)


_DEFAULT_CAPS = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]


def default_spec(args: list[str] | None = None, terminal: bool = True) -> dict:
    """What `runu spec` writes: runc's default, so tools that edit it keep working."""
    return {
        "ociVersion": OCI_VERSION,
        "process": {
            "terminal": terminal,
            "user": {"uid": 0, "gid": 0},
            "args": args or ["sh"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
            "cwd": "/",
            "capabilities": {k: list(_DEFAULT_CAPS) for k in ("bounding", "effective", "permitted")},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs", "readonly": True},
        "hostname": "runu",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
            {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
             "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
            {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
             "options": ["nosuid", "noexec", "nodev"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]},
        ],
        "linux": {
            "namespaces": [{"type": t} for t in ("pid", "network", "ipc", "uts", "mount")],
            "maskedPaths": [],
            "readonlyPaths": [],
        },
    }
