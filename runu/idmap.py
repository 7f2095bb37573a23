"""Which host files an idmapped mount can serve: the filesystem under a path, from mountinfo.

Idmapped mounts exist for some filesystems only; a merged overlay (this kernel refuses it, see
runu.overlaylayers), FUSE, NFS or 9p cannot be idmapped. A sandbox with any such file runs
with its user namespace mapped onto the host's same ids instead (runu-privdrop.h).
"""

import os

# Filesystems whose idmapped mounts this kernel line (6.3 and later) supports.
IDMAPPABLE = frozenset(("ext2", "ext3", "ext4", "xfs", "btrfs", "tmpfs", "vfat", "exfat", "f2fs", "erofs",
                        "squashfs", "ntfs3", "hugetlbfs"))


def _mounts(mountinfo: str) -> list[tuple[str, str]]:
    """(mount point, filesystem type), in mount order."""
    out = []
    with open(mountinfo) as f:
        for line in f:
            left, _, right = line.partition(" - ")
            point = left.split()[4]
            point = point.encode().decode("unicode_escape") if "\\" in point else point
            out.append((point, right.split()[0]))
    return out


def fstype_of(path: str, mounts: list[tuple[str, str]]) -> str:
    """The type of the filesystem `path` lives on: the last mount over its longest mounted prefix."""
    path = os.path.realpath(path)
    best, fstype = "", "unknown"
    for point, kind in mounts:
        inside = path == point or path.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, fstype = point, kind
    return fstype


def unmappable(paths: list[str], mountinfo: str = "/proc/self/mountinfo") -> list[tuple[str, str]]:
    """The paths (with their filesystem type) that no idmapped mount can serve."""
    mounts = _mounts(mountinfo)  # read once: create is on every container's start-up path
    return [(p, t) for p in paths if (t := fstype_of(p, mounts)) not in IDMAPPABLE]
