"""lwIP (Debian's liblwip) behind a tap, the way runu wires a sandbox: eth0's address is read and
taken off, a tap joins eth0 through a tc redirect, and the stack takes over eth0's MAC and IP."""
import subprocess
import sys
from pathlib import Path

from .. import address, ifconfig, link, netns, process, sysctl, tap, tc
from ..testbed import Testbed
from . import ECHO_PORT, Stack

EXT = Path(__file__).resolve().parents[2] / "ext"
MODULE_DIR = EXT / "out"
HEADER = Path("/usr/include/lwip/lwip/tcpip.h")
TAP = "tap0"


def _build() -> str | None:
    """Build the cffi harness if it is not there; returns why it cannot be, or None."""
    if list(MODULE_DIR.glob("_runu_lwip.*")):
        return None
    if not HEADER.exists():
        return "liblwip-dev is not installed (Debian package liblwip-dev)"
    done = subprocess.run([sys.executable, str(EXT / "lwip" / "build.py"), str(MODULE_DIR)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"building the lwIP harness failed: {done.stderr[-300:]}"


class LwipStack(Stack):
    """lwIP 2.1 in a child process in the stack namespace, reading and writing tap0."""
    name = "lwip"

    def __init__(self):
        self._proc: subprocess.Popen | None = None

    def unavailable(self) -> str | None:
        return _build()

    def start(self, bed: Testbed) -> None:
        with netns.iproute(bed.stack_ns) as ipr:
            config = ifconfig.read(ipr, bed.stack_if)
            address.flush(ipr, bed.stack_if)
            tap.create(TAP, bed.stack_ns)
            tc.redirect(ipr, bed.stack_if, TAP)
        for ifname in (bed.stack_if, TAP):  # keep the host kernel's IPv6 chatter off the wire
            sysctl.write(f"net/ipv6/conf/{ifname}/disable_ipv6", 1, bed.stack_ns)
        ipv4 = config.ipv4()[0]
        self._proc = process.spawn(
            [sys.executable, "-m", "netstack.stacks.lwip_main", str(MODULE_DIR), TAP, config.mac,
             ipv4.address, str(ipv4.prefixlen), str(ECHO_PORT)],
            bed.stack_ns, stdout=subprocess.PIPE, text=True, cwd=str(EXT.parent))
        process.wait_for_line(self._proc, "ready", timeout=10)
        with netns.iproute(bed.stack_ns) as ipr:
            link.wait_operational(ipr, TAP)

    def stop(self) -> None:
        if self._proc:
            process.stop(self._proc)
            self._proc = None
