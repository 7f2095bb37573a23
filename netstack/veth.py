"""veth pairs: a virtual cable whose two ends may sit in different namespaces."""
from pyroute2 import IPRoute

from . import link


def create(ipr: IPRoute, name: str, peer: str, peer_ns: str | None = None) -> None:
    """Create veth ``name`` in the handle's namespace with its ``peer`` end moved to ``peer_ns``.

    Both ends are left down; removing either end (or its namespace) removes the pair.
    """
    ipr.link("add", ifname=name, kind="veth", peer=peer)
    if peer_ns is not None:
        link.move(ipr, peer, peer_ns)


def remove(ipr: IPRoute, name: str) -> None:
    """Remove the pair that ``name`` belongs to (a no-op if it is already gone)."""
    link.remove(ipr, name)
