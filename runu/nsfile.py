"""Namespace files a spec gives by path: they must exist and be of the type it says.

runc refuses a path that is not a namespace of the entry's type; so does
runu, in one line naming the path, before anything is made.
"""

import fcntl
import os

from runu.errors import RunuError

_NS_GET_NSTYPE = 0xB703  # ioctl on a namespace file: its CLONE_NEW* type
CLONE_FLAGS = {"mount": 0x00020000, "cgroup": 0x02000000, "uts": 0x04000000, "ipc": 0x08000000,
               "user": 0x10000000, "pid": 0x20000000, "network": 0x40000000, "time": 0x00000080}


def check(path: str, kind: str) -> None:
    """A RunuError unless `path` is a namespace file of OCI type `kind`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        raise RunuError(f"{kind} namespace {path} does not exist") from None
    except OSError as e:
        raise RunuError(f"{kind} namespace {path}: {e.strerror}") from None
    try:
        found = fcntl.ioctl(fd, _NS_GET_NSTYPE)
    except OSError:
        found = None
    finally:
        os.close(fd)
    if found != CLONE_FLAGS[kind]:
        raise RunuError(f"{path} is not a {kind} namespace")
