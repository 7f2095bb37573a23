"""Per-namespace sysctls under /proc/sys/net, written from a thread inside the namespace.

Where /proc/sys is mounted read-only (a container's, as Docker mounts it), a write goes through
a child in a mount namespace of its own, where that mount is made writable: the caller's mounts
stay as they are."""
import ctypes
import errno
import os

from . import netns

_CLONE_NEWNS = 0x00020000
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 0x20, 0x1000, 0x4000, 0x40000


def _write_in_own_mounts(key: str, value: str, ns: str | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    child = os.fork()
    if child == 0:
        try:
            if (libc.unshare(_CLONE_NEWNS) or libc.mount(None, b"/", None, _MS_REC | _MS_PRIVATE, None)
                    or libc.mount(None, b"/proc/sys", None, _MS_REMOUNT | _MS_BIND, None)):
                os._exit(ctypes.get_errno() or 1)
            with netns.entered(ns), open(f"/proc/sys/{key}", "w") as f:
                f.write(value)
            os._exit(0)
        except OSError as e:
            os._exit(e.errno or 1)
    status = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    if status:
        raise OSError(status, f"write /proc/sys/{key} in a writable view: {os.strerror(status)}")


def write(key: str, value: str | int, ns: str | None = None) -> None:
    """Set ``key`` (slash form, e.g. ``net/ipv6/conf/eth0/disable_ipv6``) in namespace ``ns``."""
    try:
        with netns.entered(ns), open(f"/proc/sys/{key}", "w") as f:
            f.write(str(value))
    except OSError as e:
        if e.errno != errno.EROFS:
            raise
        _write_in_own_mounts(key, str(value), ns)


def read(key: str, ns: str | None = None) -> str:
    """Read ``key`` in namespace ``ns``."""
    with netns.entered(ns), open(f"/proc/sys/{key}") as f:
        return f.read().strip()
