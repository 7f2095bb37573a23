"""runu's Linux as a library (kernelbuild/library.py) behind a tap (tapstack.TapStack): the
`python -m lkl_bindings.serve` process boots a Linux 7.3 kernel in itself and serves the echo
ports from that kernel's own TCP/IP stack."""
import sys
from pathlib import Path

from lkl_bindings.errors import LibraryMissing
from lkl_bindings.native import module

from ..ifconfig import InterfaceConfig
from . import ECHO_PORT
from .tapstack import TAP, TapStack

ROOT = Path(__file__).resolve().parents[2]


class LklStack(TapStack):
    """The library kernel in a child process in the stack namespace, on tap0."""
    name = "lkl"

    def unavailable(self) -> str | None:
        try:
            module()
        except LibraryMissing as missing:
            return str(missing)
        return None

    def command(self, config: InterfaceConfig) -> tuple[list[str], str | None]:
        argv = [sys.executable, "-m", "lkl_bindings.serve", "--tap", TAP, "--mac", config.mac,
                "--tcp-echo", str(ECHO_PORT), "--udp-echo", str(ECHO_PORT)]
        for found in config.ipv4():
            argv += ["--address", f"{found.address}/{found.prefixlen}"]
        if (gateway := config.gateway()) is not None:
            argv += ["--gateway", gateway]
        return argv, str(ROOT)
