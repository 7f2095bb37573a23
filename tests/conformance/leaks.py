"""What a run may leave behind: our namespaces, links in the root namespace, child processes, and
sandbox processes (runsc's, runu's) still working in one of our containers' directories."""
import dataclasses
import os
import tempfile

from netstack import link, netns
from netstack.stacks.oci import DIR_PREFIX
from netstack.testbed import PREFIX


@dataclasses.dataclass(frozen=True)
class Snapshot:
    namespaces: frozenset[str]
    links: frozenset[str]
    children: frozenset[int]
    sandboxes: frozenset[int]

    def added_since(self, before: "Snapshot") -> list[str]:
        """Human-readable list of what exists now and did not before."""
        return ([f"netns {n}" for n in sorted(self.namespaces - before.namespaces)]
                + [f"link {n}" for n in sorted(self.links - before.links)]
                + [f"process {p}" for p in sorted(self.children - before.children)]
                + [f"sandbox process {p}" for p in sorted(self.sandboxes - before.sandboxes)])


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


def _sandboxes() -> frozenset[int]:
    """Processes whose working directory lies in a container directory of ours (oci.OciRun)."""
    prefix, found = os.path.join(tempfile.gettempdir(), DIR_PREFIX), set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.readlink(f"/proc/{entry}/cwd").startswith(prefix):
                    found.add(int(entry))
            except OSError:
                continue
    return frozenset(found)


def snapshot() -> Snapshot:
    """What exists now."""
    with netns.iproute() as ipr:
        # dockerd adds and removes its veth ends and bridges on its own schedule
        links = frozenset(n for n in link.names(ipr) if not n.startswith(("veth", "br-")))
    return Snapshot(frozenset(n for n in netns.names() if n.startswith(PREFIX)), links, _children(),
                    _sandboxes())
