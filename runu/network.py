"""The container's network at create: what Docker's hook put in the netns, for the guest.

Reading /proc/PID/net/dev first spares the common no-network path (runu run,
--network none) the hand-over helper.
"""

from pathlib import Path

from runu.hooks import CREATE_PHASES
from runu.netplumb import hand_to_guest
from runu.sandbox.base import NetworkPlan


def may_arrive(spec: dict, joined_netns: str | None) -> bool:
    """Whether create may find a network to hand over once its hooks have run: in a namespace
    joined by path (a CNI plugin filled it before), or in a new one a hook fills (Docker's
    libnetwork-setkey). A new namespace and no hook: loopback alone."""
    hooks = spec.get("hooks") or {}
    return joined_netns is not None or any(hooks.get(phase) for phase in CREATE_PHASES)


def interfaces(pid: int) -> list[str]:
    """Interface names in the network namespace of `pid`."""
    lines = Path(f"/proc/{pid}/net/dev").read_text().splitlines()[2:]
    return [line.split(":", 1)[0].strip() for line in lines]


def take_over(pid: int, report: Path, owner: int) -> NetworkPlan | None:
    """None when the netns has nothing but loopback (runu run, docker --network none). The
    taps belong to `owner`, the sandbox's host uid and gid, for its kernel to open."""
    if interfaces(pid) == ["lo"]:
        return None
    return hand_to_guest(pid, report, owner)
