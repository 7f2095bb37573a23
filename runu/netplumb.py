"""Hand the container's eth0 (Docker's veth end) over to the sandbox kernel.

eth0 keeps its place on Docker's network, but loses its addresses; a tap
joins it through a tc redirect both ways, and the guest's vector device on
that tap takes eth0's name, MAC, MTU, addresses and default routes. A
redirect rather than a bridge: no MAC learning, no extra hop, and the guest
may reuse eth0's own MAC (behind a bridge it could not).

The netlink work is done by ext/runu-netplumb (C): it runs in every create,
and importing pyroute2 alone would take longer than all of it. Its report
also says what the hand-over took (addresses, routes, sysctls), which
give_back() returns where the namespace outlives the container.
"""

from pathlib import Path

from runu import paths
from runu.errors import RunuError
from runu.sandbox.base import NetworkPlan
from runu.spawn import run

TAP = "tap0"
INTERFACE = "eth0"
# Docker's resolver answers at 127.0.0.11 in the netns, out of the guest's reach: a
# link-local side link carries DNS to a relay there (ext/runu-dnsrelay.h).
DNS_TAP, DNS_RELAY, DNS_GUEST, DNS_PREFIX = "tap1", "169.254.53.1", "169.254.53.2", 30
NO_INTERFACE = 3  # runu-netplumb's exit status when the netns has no eth0


def hand_to_guest(pid: int, report: Path, owner: int) -> NetworkPlan | None:
    """Move eth0's identity to the guest (the plan says what it takes); write what the
    hand-over took to `report`. The taps are `owner`'s (uid and gid) to open."""
    out, err, code = run([str(paths.netplumb()), f"/proc/{pid}/ns/net", INTERFACE, TAP, DNS_TAP,
                          f"{DNS_RELAY}/{DNS_PREFIX}", str(owner)])
    if code == NO_INTERFACE:
        return None
    if code != 0:
        raise RunuError(err.decode(errors="replace").strip() or f"runu-netplumb exited with {code}")
    report.write_bytes(out)
    return _plan(out.decode().splitlines())


def give_back(netns: str, report: Path) -> None:
    """Undo a hand-over in `netns` from its report: taps and redirect gone, eth0's MAC,
    addresses, routes and sysctls back. For a namespace that outlives the container."""
    _, err, code = run([str(paths.netplumb()), "--restore", netns, INTERFACE, TAP, DNS_TAP], report.read_bytes())
    if code != 0:
        raise RunuError("; ".join(err.decode(errors="replace").split("\n")).strip("; ") or
                        f"runu-netplumb --restore exited with {code}")


def _plan(lines: list[str]) -> NetworkPlan:
    """NetworkPlan from runu-netplumb's report (mac M / mtu N / addr F A P / route F G; the
    "was ..." lines are for give_back)."""
    facts = {"addr": [], "route": []}
    for kind, *values in map(str.split, lines):
        if kind == "was":
            continue
        if kind in facts:
            facts[kind].append(values)
        else:
            facts[kind] = values[0]
    return NetworkPlan(
        tap=TAP, name=INTERFACE, mac=facts["mac"], mtu=int(facts["mtu"]),
        addresses=[(int(family), address, int(prefix)) for family, address, prefix in facts["addr"]],
        gateways=[(int(family), gateway) for family, gateway in facts["route"]],
        dns_tap=DNS_TAP, dns_relay=DNS_RELAY, dns_guest=DNS_GUEST,
    )
