"""Neighbour (ARP and NDP) entries."""
from pyroute2 import IPRoute

from . import link

NUD_PERMANENT = 0x80


def add_permanent(ipr: IPRoute, ifname: str, address: str, mac: str) -> None:
    """``address`` is at ``mac`` on ``ifname`` for good: the kernel sends to it without asking
    first, so a test's first frame is the one it meant to send."""
    ipr.neigh("add", dst=address, lladdr=mac, ifindex=link.index(ipr, ifname), state=NUD_PERMANENT)
