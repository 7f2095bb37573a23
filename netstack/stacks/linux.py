"""The host's own Linux kernel, in the testbed's fresh stack namespace: the reference stack."""
import subprocess
import sys
from pathlib import Path

from .. import process, sysctl
from ..testbed import Testbed
from . import ECHO_PORT, Stack

ECHO_SCRIPT = Path(__file__).with_name("echo.py")
# A new namespace copies IPv4 settings from the host's (forwarding is on wherever dockerd runs,
# systemd hosts turn rp_filter on); the reference is the kernel as it boots, as a sandbox's does.
KERNEL_DEFAULTS = {"ip_forward": 0, "conf/all/rp_filter": 0, "conf/{dev}/rp_filter": 0}


class LinuxStack(Stack):
    """The kernel serves the testbed's eth0 directly; a Python echo server runs in its namespace."""
    name = "linux"

    def __init__(self):
        self._echo: subprocess.Popen | None = None

    def start(self, bed: Testbed) -> None:
        for key, value in KERNEL_DEFAULTS.items():
            sysctl.write(f"net/ipv4/{key.format(dev=bed.stack_if)}", value, bed.stack_ns)
        self._echo = process.spawn([sys.executable, str(ECHO_SCRIPT), str(ECHO_PORT)],
                                   bed.stack_ns, stdout=subprocess.PIPE, text=True)
        process.wait_for_line(self._echo, "ready", timeout=10)

    def stop(self) -> None:
        if self._echo:
            process.stop(self._echo)
            self._echo = None
