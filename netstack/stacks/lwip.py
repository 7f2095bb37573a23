"""lwIP (Debian's liblwip) behind a tap (tapstack.TapStack), through a cffi harness."""
import subprocess
import sys
from pathlib import Path

from ..ifconfig import InterfaceConfig
from . import ECHO_PORT
from .tapstack import TAP, TapStack

EXT = Path(__file__).resolve().parents[2] / "ext"
MODULE_DIR = EXT / "out"
HEADER = Path("/usr/include/lwip/lwip/tcpip.h")


def _build() -> str | None:
    """Build the cffi harness if it is not there; returns why it cannot be, or None."""
    if list(MODULE_DIR.glob("_runu_lwip.*")):
        return None
    if not HEADER.exists():
        return "liblwip-dev is not installed (Debian package liblwip-dev)"
    done = subprocess.run([sys.executable, str(EXT / "lwip" / "build.py"), str(MODULE_DIR)],
                          capture_output=True, text=True)
    return None if done.returncode == 0 else f"building the lwIP harness failed: {done.stderr[-300:]}"


class LwipStack(TapStack):
    """lwIP 2.1 in a child process in the stack namespace, reading and writing tap0."""
    name = "lwip"

    def unavailable(self) -> str | None:
        return _build()

    def command(self, config: InterfaceConfig) -> tuple[list[str], str | None]:
        ipv4 = config.ipv4()[0]
        return ([sys.executable, "-m", "netstack.stacks.lwip_main", str(MODULE_DIR), TAP, config.mac,
                 ipv4.address, str(ipv4.prefixlen), str(ECHO_PORT)], str(EXT.parent))
