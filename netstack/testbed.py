"""A two-namespace testbed: a tester namespace and a stack namespace joined by one veth pair.

The stack side is set up the way Docker leaves a container: ``eth0`` up with an address. The
tester side carries no address and no IPv6, so the tester's own kernel never answers or resets
anything and every frame on the wire comes from the stack under test or from the test.
"""
import dataclasses
import ipaddress
import os

from . import address, link, netns, offload, sysctl, veth

PREFIX = "runu-cf"


@dataclasses.dataclass
class Testbed:
    """Names and addresses of one testbed; ``create()`` builds it, ``destroy()`` removes it all."""
    tag: str
    stack_ip: str = "192.0.2.2"
    tester_ip: str = "192.0.2.1"
    prefixlen: int = 24
    stack_mac: str = "02:00:00:00:00:02"
    tester_mac: str = "02:00:00:00:00:01"
    stack_if: str = "eth0"
    tester_if: str = "tst0"

    @property
    def stack_ns(self) -> str:
        return f"{PREFIX}-{os.getpid()}-{self.tag}-s"

    @property
    def tester_ns(self) -> str:
        return f"{PREFIX}-{os.getpid()}-{self.tag}-t"

    @property
    def broadcast(self) -> str:
        """The directed broadcast address of the testbed's subnet."""
        return str(ipaddress.ip_interface(f"{self.stack_ip}/{self.prefixlen}").network.broadcast_address)

    def create(self) -> "Testbed":
        """Build both namespaces and the veth; on any failure, remove what was built."""
        try:
            self._build()
        except BaseException:
            self.destroy()
            raise
        return self

    def _build(self) -> None:
        netns.create(self.tester_ns)
        netns.create(self.stack_ns)
        with netns.iproute(self.stack_ns) as ipr:
            veth.create(ipr, self.stack_if, self.tester_if, peer_ns=self.tester_ns)
            link.set_mac(ipr, self.stack_if, self.stack_mac)
            address.add(ipr, self.stack_if, self.stack_ip, self.prefixlen)
            link.set_up(ipr, "lo")
            link.set_up(ipr, self.stack_if)
        offload.disable_tx_checksum(self.stack_if, self.stack_ns)
        sysctl.write(f"net/ipv6/conf/{self.tester_if}/disable_ipv6", 1, self.tester_ns)
        with netns.iproute(self.tester_ns) as ipr:
            link.set_mac(ipr, self.tester_if, self.tester_mac)
            link.set_up(ipr, self.tester_if)

    def destroy(self) -> None:
        """Remove both namespaces (and so the veth); safe to call twice."""
        netns.remove(self.stack_ns)
        netns.remove(self.tester_ns)
