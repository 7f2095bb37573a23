"""A network namespace as Docker's bridge hook leaves a container's: `eth0`, one end of a veth
pair, up with an address and a default route via the other end, which carries the gateway.

What a runtime run from a bundle (tests, the bundle benchmark) gets in place of Docker.
"""
import contextlib

from . import address, link, netns, veth


@contextlib.contextmanager
def container_netns(name: str, ip: str, gateway: str, prefixlen: int, host_if: str,
                    host_ns: str | None = None, mac: str | None = None):
    """Yield the path of namespace `name`; the veth's other end `host_if` sits in `host_ns`
    (None: the caller's). The namespace, and with it the pair, is removed afterwards."""
    path = netns.create(name)
    try:
        with netns.iproute(host_ns) as ipr:
            # the peer gets its name only in its namespace: the host may have an eth0 of its own
            veth.create(ipr, host_if, f"{host_if}p")
            link.move(ipr, f"{host_if}p", name, new_name="eth0")
            address.add(ipr, host_if, gateway, prefixlen)
            link.set_up(ipr, host_if)
        with netns.iproute(name) as ipr:
            if mac:
                link.set_mac(ipr, "eth0", mac)
            address.add(ipr, "eth0", ip, prefixlen)
            link.set_up(ipr, "eth0")
            link.set_up(ipr, "lo")
            ipr.route("add", dst="0.0.0.0/0", gateway=gateway)
        yield path
    finally:
        netns.remove(name)
