"""A Linux bridge joining interfaces: the alternative to a tc redirect.

Mind that the bridge learns the ports' MACs; a sandbox behind one port must not reuse the MAC of
another port.
"""
from pyroute2 import IPRoute

from . import link


def join(ipr: IPRoute, bridge: str, *ports: str) -> None:
    """Create bridge ``bridge`` (if needed), enslave ``ports`` to it and bring everything up."""
    if not link.exists(ipr, bridge):
        ipr.link("add", ifname=bridge, kind="bridge")
    master = link.index(ipr, bridge)
    for port in ports:
        ipr.link("set", index=link.index(ipr, port), master=master)
        link.set_up(ipr, port)
    link.set_up(ipr, bridge)


def ports(ipr: IPRoute, bridge: str) -> set[str]:
    """Names of the interfaces enslaved to ``bridge``."""
    master = link.index(ipr, bridge)
    return {m.get("ifname") for m in ipr.get_links() if m.get("IFLA_MASTER") == master}


def remove(ipr: IPRoute, bridge: str) -> None:
    """Delete ``bridge``; its ports stay, released."""
    link.remove(ipr, bridge)
