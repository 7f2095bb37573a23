"""Write the sandbox initramfs: a newc cpio archive holding only runu's init.

The init reaches the guest this way so the container's rootfs is never
written to. The archive is deterministic (fixed inode numbers and times), so
its digest only changes when the init binary does.
"""

from pathlib import Path

_TRAILER = "TRAILER!!!"


def _pad4(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _entry(ino: int, name: str, mode: int, data: bytes) -> bytes:
    encoded = name.encode() + b"\0"
    fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(encoded), 0)
    header = b"070701" + b"".join(b"%08X" % f for f in fields)
    head = header + encoded
    return head + _pad4(len(head)) + data + _pad4(len(data))


def initramfs_archive(init_binary: Path) -> bytes:
    """A cpio archive whose only file is /init (mode 0755)."""
    return _entry(1, "init", 0o100755, init_binary.read_bytes()) + _entry(2, _TRAILER, 0, b"")


def write_initramfs(init_binary: Path, output: Path) -> None:
    tmp = output.with_suffix(".tmp")
    tmp.write_bytes(initramfs_archive(init_binary))
    tmp.replace(output)
