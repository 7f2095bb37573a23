"""NIC offloads. A veth hands checksum work to its peer; a packet capture there then sees
half-done checksums, so a stack under test sends through interfaces with offloads off."""
from pyroute2.ethtool import Ethtool

from . import netns

_TX_CHECKSUM = "tx-checksum-ip-generic"  # TSO depends on it and goes off with it


def disable_tx_checksum(ifname: str, ns: str | None = None) -> None:
    """Make the kernel finish checksums before frames leave ``ifname`` (in namespace ``ns``)."""
    with netns.entered(ns):
        tool = Ethtool()
    try:
        features = tool.get_features(ifname)
        features.features[_TX_CHECKSUM].enable = False
        tool.set_features(ifname, features)
    finally:
        tool.close()
