"""gVisor's netstack: runsc runs the echo service in a sandbox whose network is the testbed's
stack namespace (``--network sandbox``: runsc takes eth0's address over into its own stack)."""
import shutil

from .. import netns
from ..testbed import Testbed
from . import ECHO_PORT, Stack, StackUnavailable
from .linux import ECHO_SCRIPT
from .oci import OciRun, RuntimeExited, echo_argv, host_root_spec


class GvisorStack(Stack):
    """The echo service under ``runsc run``, with gVisor's own TCP/IP stack on the testbed's eth0."""
    name = "gvisor"

    def __init__(self):
        self._container: OciRun | None = None

    def unavailable(self) -> str | None:
        if not shutil.which("runsc"):
            return "runsc is not installed (Debian package runsc)"
        return None

    def start(self, bed: Testbed) -> None:
        self._container = OciRun(["runsc"], ("--network", "sandbox", "--ignore-cgroups"))
        argv = echo_argv(ECHO_SCRIPT, ECHO_PORT)
        # Debian's runsc (2022) takes any namespace showing /proc/sys/net/core/rmem_default for
        # the root one, and every namespace shows it on current kernels: hide /proc/sys/net from
        # runsc (the sandbox reads nothing there)
        spec = host_root_spec(argv, netns.path(bed.stack_ns), hostname="gvisor")
        try:
            self._container.run(spec, "ready", timeout=30, masked=("/proc/sys/net",))
        except RuntimeExited as err:  # runsc itself refused: not a verdict on netstack
            raise StackUnavailable(str(err)) from err

    def stop(self) -> None:
        if self._container:
            self._container.remove()
            self._container = None
