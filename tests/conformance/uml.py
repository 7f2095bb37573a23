"""runu's UML sandbox kernel as a stack, one per kernel profile. It sits above runu (netstack must
not import runu): ``runu run`` starts in the testbed's stack namespace, where eth0 is set up the
way Docker leaves it, and runu hands eth0's MAC and address to the guest kernel. The echo service
runs in the guest from a read-only view of the host's root."""
import sys
from pathlib import Path

from netstack import netns
from netstack.stacks import ECHO_PORT, Stack
from netstack.stacks.linux import ECHO_SCRIPT
from netstack.stacks.oci import OciRun, host_root_spec
from netstack.testbed import Testbed

RUNU = Path(sys.executable).with_name("runu")
PROFILE_ANNOTATION = "org.runu.kernel.profile"


def profiles() -> list[str]:
    """The kernel profiles the project defines (each is a stack of the matrix)."""
    from unikraft_build.profiles import names
    return names()


class UmlStack(Stack):
    """The echo service in a UML guest under ``runu run``, with kernel profile ``profile``."""

    def __init__(self, profile: str):
        self.profile, self.name = profile, f"uml-{profile}"
        self._container: OciRun | None = None

    def unavailable(self) -> str | None:
        if not RUNU.exists():
            return f"runu is not installed at {RUNU}"
        from runu.errors import RunuError
        from runu.kernels import find_kernel
        try:
            find_kernel(self.profile)
        except RunuError as err:
            return str(err)
        return None

    def start(self, bed: Testbed) -> None:
        self._container = OciRun([str(RUNU)])
        spec = host_root_spec([sys.executable, str(ECHO_SCRIPT), str(ECHO_PORT)],
                              netns.path(bed.stack_ns), hostname=self.name)
        spec["annotations"] = {PROFILE_ANNOTATION: self.profile}
        self._container.run(spec, "ready", timeout=60)

    def stop(self) -> None:
        if self._container:
            self._container.remove()
            self._container = None
