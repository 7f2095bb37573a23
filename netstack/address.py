"""IP addresses on an interface."""
import ipaddress
import socket

from pyroute2 import IPRoute

from . import link


def add(ipr: IPRoute, ifname: str, address: str, prefixlen: int) -> None:
    """Add ``address/prefixlen`` (IPv4 or IPv6) to ``ifname``; an IPv4 subnet gets its broadcast
    address too (as Docker's netlink library and ``ip addr add ... brd +`` do)."""
    fields = {}
    net = ipaddress.ip_interface(f"{address}/{prefixlen}").network
    if net.version == 4 and prefixlen < 31:
        fields["broadcast"] = str(net.broadcast_address)
    ipr.addr("add", index=link.index(ipr, ifname), address=address, prefixlen=prefixlen, **fields)


def flush(ipr: IPRoute, ifname: str, family: int | None = None) -> None:
    """Take every address (of ``family``: socket.AF_INET/AF_INET6; None: both) off ``ifname``."""
    idx = link.index(ipr, ifname)
    for family_ in (socket.AF_INET, socket.AF_INET6) if family is None else (family,):
        for msg in ipr.get_addr(index=idx, family=family_):
            ipr.addr("del", index=idx, address=msg.get("IFA_ADDRESS"),
                     prefixlen=msg["prefixlen"], family=family_)
