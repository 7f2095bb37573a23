"""The container's network at start: what Docker's hook put in the netns, for the guest.

Reading /proc/PID/net/dev first keeps pyroute2 out of the common no-network
path, where it would be most of `start`'s import time.
"""

from pathlib import Path

from runu.sandbox.base import NetworkPlan


def interfaces(pid: int) -> list[str]:
    """Interface names in the network namespace of `pid`."""
    lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines]


def take_over(pid: int, description: Path) -> NetworkPlan | None:
    """None when the netns has nothing but loopback (runu run, docker --network none)."""
    if interfaces(pid) == ["lo"]:
        return None
    from runu.netplumb import hand_to_guest

    return hand_to_guest(pid, description)
