"""A user-space stack in a child process behind a tap, wired the way runu wires a sandbox:
eth0's address is read and taken off, a tap joins eth0 through a tc redirect, and the stack
takes over eth0's MAC and IP. Subclasses say how to start their process."""
import abc
import subprocess

from .. import address, ifconfig, link, netns, process, sysctl, tap, tc
from ..ifconfig import InterfaceConfig
from ..testbed import Testbed
from . import Stack

TAP = "tap0"


class TapStack(Stack):
    """A child process in the stack namespace, reading and writing TAP, saying "ready"."""

    def __init__(self):
        self._proc: subprocess.Popen | None = None

    @abc.abstractmethod
    def command(self, config: InterfaceConfig) -> tuple[list[str], str | None]:
        """The argv of the stack's process for eth0's `config`, and its working directory."""

    def start(self, bed: Testbed) -> None:
        with netns.iproute(bed.stack_ns) as ipr:
            config = ifconfig.read(ipr, bed.stack_if)
            address.flush(ipr, bed.stack_if)
            tap.create(TAP, bed.stack_ns)
            tc.redirect(ipr, bed.stack_if, TAP)
        for ifname in (bed.stack_if, TAP):  # keep the host kernel's IPv6 chatter off the wire
            sysctl.write(f"net/ipv6/conf/{ifname}/disable_ipv6", 1, bed.stack_ns)
        argv, cwd = self.command(config)
        self._proc = process.spawn(argv, bed.stack_ns, stdout=subprocess.PIPE, text=True, cwd=cwd)
        process.wait_for_line(self._proc, "ready", timeout=10)
        with netns.iproute(bed.stack_ns) as ipr:
            link.wait_operational(ipr, TAP)

    def stop(self) -> None:
        if self._proc:
            process.stop(self._proc)
            self._proc = None
