"""What a run may leave behind: our namespaces, links in the root namespace, child processes."""
import dataclasses
import os

from netstack import link, netns
from netstack.testbed import PREFIX


@dataclasses.dataclass(frozen=True)
class Snapshot:
    namespaces: frozenset[str]
    links: frozenset[str]
    children: frozenset[int]

    def added_since(self, before: "Snapshot") -> list[str]:
        """Human-readable list of what exists now and did not before."""
        return ([f"netns {n}" for n in sorted(self.namespaces - before.namespaces)]
                + [f"link {n}" for n in sorted(self.links - before.links)]
                + [f"process {p}" for p in sorted(self.children - before.children)])


def _children() -> frozenset[int]:
    me, kids = str(os.getpid()), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if stat.rsplit(")", 1)[1].split()[1] == me:
                kids.add(int(entry))
    return frozenset(kids)


def snapshot() -> Snapshot:
    """What exists now."""
    with netns.iproute() as ipr:
        links = frozenset(link.names(ipr))
    return Snapshot(frozenset(n for n in netns.names() if n.startswith(PREFIX)), links, _children())
