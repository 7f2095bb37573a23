"""Programs run inside a rootfs tree of any architecture: a recipe's build steps, the host
side's unit tests in an arm64 Debian root.

The command runs as root of a user namespace made for it (the host's root, the only id mapped),
chrooted into the tree with the host's /proc, /dev and /sys bound where the tree has those
directories, in a mount namespace that takes every mount with it when the command ends. A tree of
another architecture runs under Debian's qemu-user-static, registered in the binfmt_misc instance
of that user namespace (Linux 6.7 and later mount one per user namespace): every program the
command starts, however deep, is emulated, and the host's binfmt_misc stays as it was. The
registration's F flag opens the emulator before the chroot, so the tree need not hold it.
"""

import subprocess
from pathlib import Path

from runu.elfarch import host_arch

# Debian's architecture names (as images and apt use them) -> the kernel's (uname -m)
MACHINES = {"amd64": "x86_64", "arm64": "aarch64"}
# ... -> runu's (runu.elfarch, kernelbuild.arches), where they differ
RUNU_NAMES = {"amd64": "x86_64"}
BINFMT = Path("/usr/lib/binfmt.d")  # qemu-user-static's registrations, one file per machine
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# In the new namespaces ($1: a binfmt registration or "", $2: the tree, then the command).
_ENTER = """set -e
if [ -n "$1" ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    cat "$1" > /proc/sys/fs/binfmt_misc/register
fi
for fs in proc dev sys; do
    if [ -d "$2/$fs" ]; then mount --rbind "/$fs" "$2/$fs"; fi
done
shift
exec chroot "$@"
"""


class ForeignError(RuntimeError):
    pass


def host() -> str:
    """The host's architecture in Debian's naming."""
    return next((debian for debian, runu in RUNU_NAMES.items() if runu == host_arch()), host_arch())


def runu_name(arch: str) -> str:
    """Debian's architecture name `arch` in runu's naming."""
    return RUNU_NAMES.get(arch, arch)


def registration(arch: str) -> Path:
    """qemu-user-static's binfmt line for `arch` (Debian's name)."""
    machine = MACHINES.get(arch)
    conf = BINFMT / f"qemu-{machine}.conf"
    if machine is None or not conf.is_file():
        raise ForeignError(f"cannot run {arch} programs here: no {conf} (install qemu-user-static)")
    return conf


def command(tree: Path, argv: list[str], arch: str) -> list[str]:
    """The host command that runs `argv` inside `tree`, whose programs are built for `arch`."""
    binfmt = "" if arch == host() else str(registration(arch))
    return ["unshare", "--user", "--map-root-user", "--mount", "--propagation", "private", "--",
            "sh", "-c", _ENTER, "sh", binfmt, str(tree), *argv]


def run(tree: Path, argv: list[str], arch: str, env: dict[str, str] | None = None,
        **kwargs) -> subprocess.CompletedProcess:
    """Run `argv` inside `tree` (subprocess.run's keywords pass through), with a clean
    environment: PATH and `env`."""
    return subprocess.run(command(tree, argv, arch), env={"PATH": PATH, **(env or {})}, **kwargs)
