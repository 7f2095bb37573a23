"""Persistent tap devices, which a user-space stack (UML, lwIP, QEMU) opens later by name."""
from pyroute2 import IPRoute

from . import link, netns


def create(name: str, ns: str | None = None) -> None:
    """Create persistent tap ``name`` (no packet-info header) inside namespace ``ns``, and bring it up.

    The tun ioctl acts on the caller's namespace, hence the thread-local enter.
    """
    with netns.entered(ns), IPRoute() as ipr:
        ipr.link("add", ifname=name, kind="tuntap", mode="tap")
        link.set_up(ipr, name)


def remove(name: str, ns: str | None = None) -> None:
    """Delete tap ``name`` from namespace ``ns`` if it is there."""
    with netns.iproute(ns) as ipr:
        link.remove(ipr, name)
