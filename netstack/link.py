"""Generic link operations by interface name, on an rtnetlink handle bound to one namespace."""
import time

from pyroute2 import IPRoute

from . import netns


def index(ipr: IPRoute, name: str) -> int:
    """The ifindex of ``name``; LookupError if there is no such link in the handle's namespace."""
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise LookupError(f"no link named {name!r}")
    return found[0]


def exists(ipr: IPRoute, name: str) -> bool:
    """Whether a link called ``name`` exists in the handle's namespace."""
    return bool(ipr.link_lookup(ifname=name))


def names(ipr: IPRoute) -> set[str]:
    """Names of every link in the handle's namespace."""
    return {link.get("ifname") for link in ipr.get_links()}


def counters(ipr: IPRoute, name: str) -> dict:
    """``name``'s IFLA_STATS64 counters (tx_packets, rx_bytes, ...)."""
    return ipr.get_links(index(ipr, name))[0].get_attr("IFLA_STATS64")


def sent_packets(ipr: IPRoute, name: str) -> int:
    """How many packets ``name`` has sent."""
    return counters(ipr, name)["tx_packets"]


def set_up(ipr: IPRoute, name: str) -> None:
    """Bring ``name`` administratively up."""
    ipr.link("set", index=index(ipr, name), state="up")


def set_down(ipr: IPRoute, name: str) -> None:
    """Bring ``name`` administratively down."""
    ipr.link("set", index=index(ipr, name), state="down")


def set_mac(ipr: IPRoute, name: str, mac: str) -> None:
    """Give ``name`` the Ethernet address ``mac``."""
    ipr.link("set", index=index(ipr, name), address=mac)


def set_mtu(ipr: IPRoute, name: str, mtu: int) -> None:
    """Set the MTU of ``name``."""
    ipr.link("set", index=index(ipr, name), mtu=mtu)


def move(ipr: IPRoute, name: str, to_ns: str, new_name: str | None = None) -> None:
    """Move ``name`` into namespace ``to_ns`` (name or path), optionally renaming it there."""
    fields = {"net_ns_fd": netns.path(to_ns)}
    if new_name:
        fields["ifname"] = new_name
    ipr.link("set", index=index(ipr, name), **fields)


def remove(ipr: IPRoute, name: str) -> None:
    """Delete ``name`` if it exists (a veth end takes its peer with it)."""
    if exists(ipr, name):
        ipr.link("del", index=index(ipr, name))


def wait_operational(ipr: IPRoute, name: str, timeout: float = 2.0) -> bool:
    """Wait until ``name`` is operationally up (a tap is, once a reader attached and the kernel's
    link watch caught up: frames sent to it before then are dropped); returns whether it is."""
    deadline = time.monotonic() + timeout
    while True:
        state = ipr.get_links(index(ipr, name))[0].get("IFLA_OPERSTATE")
        if state in ("UP", "UNKNOWN") or time.monotonic() > deadline:
            return state in ("UP", "UNKNOWN")
        time.sleep(0.01)
