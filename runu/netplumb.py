"""Hand the container's eth0 (Docker's veth end) over to the sandbox kernel.

eth0 keeps its place on Docker's network, but loses its addresses; a tap
joins it through a tc redirect both ways, and the guest's vector device on
that tap takes eth0's name, MAC, MTU, addresses and default routes. A
redirect rather than a bridge: no MAC learning, no extra hop, and the guest
may reuse eth0's own MAC (behind a bridge it could not).
"""

import os
import socket
from pathlib import Path

from pyroute2 import IPRoute

from netstack import address, ifconfig, link, netns, tap, tc
from runu.guest import network_description
from runu.sandbox.base import NetworkPlan

TAP = "tap0"
INTERFACE = "eth0"
# Docker's resolver answers at 127.0.0.11 in the netns, out of the guest's reach: a
# link-local side link carries DNS to a relay there (ext/runu-dnsrelay.h).
DNS_TAP, DNS_RELAY, DNS_GUEST, DNS_PREFIX = "tap1", "169.254.53.1", "169.254.53.2", 30


def hand_to_guest(pid: int, description: Path) -> NetworkPlan | None:
    """Move eth0's identity to the guest; write the guest's side to `description`."""
    ns = f"/proc/{pid}/ns/net"
    with netns.entered(ns), IPRoute() as ipr:
        if not link.exists(ipr, INTERFACE):
            return None
        config = ifconfig.read(ipr, INTERFACE)
        address.flush(ipr, INTERFACE)
        for ifname in (INTERFACE, "default"):  # "default": the taps made next
            _quiet_ipv6(ifname)
        tap.create(TAP)
        tc.redirect(ipr, INTERFACE, TAP)
        tap.create(DNS_TAP)
        address.add(ipr, DNS_TAP, DNS_RELAY, DNS_PREFIX)
    plan = NetworkPlan(
        tap=TAP, name=INTERFACE, mac=config.mac, mtu=config.mtu,
        addresses=[(4 if a.family == socket.AF_INET else 6, a.address, a.prefixlen)
                   for a in (*config.ipv4(), *config.ipv6())],
        gateways=[(v, gw) for v, family in ((4, socket.AF_INET), (6, socket.AF_INET6))
                  if (gw := config.gateway(family))],
        dns_tap=DNS_TAP, dns_relay=DNS_RELAY, dns_guest=DNS_GUEST,
    )
    description.write_bytes(network_description(plan))
    return plan


def _quiet_ipv6(ifname: str) -> None:
    """eth0 and the taps only carry the guest's frames: the netns's own IPv6 must
    neither answer for the guest nor send it link-local chatter (MLD, DAD, RS)."""
    knob = f"/proc/sys/net/ipv6/conf/{ifname}/disable_ipv6"
    if os.path.exists(knob):
        with open(knob, "w") as f:
            f.write("1")
