"""Mount points a spec needs and a read-only rootfs lacks, made on the host beforehand.

runc creates missing mount destinations in the rootfs; runu's guest does too, through
hostfs, but cannot once the rootfs is bound read-only. So for such a rootfs they are made
here, walking from the rootfs one component at a time without following symlinks: a
symlink is left for the guest to resolve inside its own root, so nothing is made outside.
"""

import os
import stat
from pathlib import Path


def _make(name: str, dir_fd: int, is_file: bool) -> None:
    if is_file:
        os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                         dir_fd=dir_fd))
    else:
        os.mkdir(name, 0o755, dir_fd=dir_fd)


def ensure(rootfs: Path, destination: str, is_file: bool) -> None:
    """Make `destination` (a path in the container) under `rootfs` unless it is there."""
    parts = [p for p in destination.split("/") if p not in ("", ".")]
    if ".." in parts:
        return  # the guest resolves it within its root
    fd = os.open(rootfs, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for i, name in enumerate(parts):
            last = i == len(parts) - 1
            try:
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            except FileNotFoundError:
                _make(name, fd, is_file and last)
                mode = os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode
            if last or not stat.S_ISDIR(mode):
                return  # a symlink or a file on the way: the guest's to resolve or refuse
            next_fd = os.open(name, os.O_PATH | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = next_fd
    finally:
        os.close(fd)


def ensure_all(rootfs: Path, mounts: list[dict]) -> None:
    """Every mount destination of the spec that lies in the rootfs itself (a bind of a file
    gets a file). One under an earlier mount (/dev/mqueue under /dev's tmpfs) is made in that
    mount by the guest: the rootfs gets only what it must hold."""
    covered: list[str] = []
    for mount in mounts:
        destination = "/" + "/".join(p for p in mount["destination"].split("/") if p not in ("", "."))
        if any(destination.startswith(earlier.rstrip("/") + "/") for earlier in covered):
            continue
        covered.append(destination)
        source = mount.get("source", "")
        is_bind = mount.get("type") == "bind" or {"bind", "rbind"} & set(mount.get("options", []))
        is_file = bool(is_bind and source.startswith("/") and os.path.exists(source) and not os.path.isdir(source))
        ensure(rootfs, mount["destination"], is_file)
