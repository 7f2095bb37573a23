"""The tester's end of the wire: scapy sockets in the tester namespace, and an ARP responder.

Every case talks to the stack through one Probe: it sends frames and collects the replies that a
predicate picks, within a deadline. The tester's kernel has no address on the wire, so it is silent.
"""
import select
import threading
import time
from typing import Callable, Iterable

from scapy.layers.inet import IP
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Packet
from scapy.arch.linux import L2Socket

from netstack import netns
from netstack.testbed import Testbed

Match = Callable[[Packet], bool]
QUIET = 0.6  # seconds of silence that count as "no reply"; replies here arrive within ~10 ms


def open_socket(ns: str, ifname: str) -> L2Socket:
    """A scapy packet socket on ``ifname`` inside namespace ``ns``.

    Not promiscuous: a veth passes every frame up anyway, and scapy would look the index up in
    the host's interface list, which knows nothing of our namespaces.
    """
    with netns.entered(ns):
        return L2Socket(iface=ifname, promisc=False)


class ArpResponder(threading.Thread):
    """Answers the stack's ARP requests for the tester's addresses, as a real neighbour would."""

    def __init__(self, bed: Testbed, addresses: set[str]):
        super().__init__(daemon=True, name="arp-responder")
        self.bed, self.addresses = bed, addresses
        self._sock = open_socket(bed.tester_ns, bed.tester_if)
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            if not select.select([self._sock], [], [], 0.1)[0]:
                continue
            pkt = self._sock.recv()
            if pkt is not None and ARP in pkt and pkt[ARP].op == 1 and pkt[ARP].pdst in self.addresses:
                self._sock.send(Ether(src=self.bed.tester_mac, dst=pkt[ARP].hwsrc) / ARP(
                    op=2, hwsrc=self.bed.tester_mac, psrc=pkt[ARP].pdst,
                    hwdst=pkt[ARP].hwsrc, pdst=pkt[ARP].psrc))

    def close(self) -> None:
        self._halt.set()
        self.join()
        self._sock.close()


class Probe:
    """Send frames to the stack under test and collect what comes back."""

    def __init__(self, bed: Testbed):
        self.bed = bed
        self._sock = open_socket(bed.tester_ns, bed.tester_if)
        self.arp = ArpResponder(bed, {bed.tester_ip})
        self.arp.start()

    def close(self) -> None:
        self.arp.close()
        self._sock.close()

    def frame(self, pkt: Packet, dst: str | None = None) -> Packet:
        """Wrap an IP packet in an Ethernet header from the tester to the stack (or ``dst``)."""
        return Ether(src=self.bed.tester_mac, dst=dst or self.bed.stack_mac) / pkt

    def drain(self) -> None:
        """Discard whatever has arrived so far (late answers to earlier cases)."""
        while select.select([self._sock], [], [], 0)[0]:
            self._sock.recv()

    def send(self, *pkts: Packet) -> None:
        """Send each packet (IP packets get an Ethernet header to the stack)."""
        for pkt in pkts:
            self._sock.send(pkt if Ether in pkt else self.frame(pkt))

    def exchange(self, pkts: Iterable[Packet], match: Match, timeout: float = 1.0,
                 count: int = 1) -> list[Packet]:
        """Send ``pkts``, then collect frames for which ``match`` holds until ``count`` are in
        or ``timeout`` passes."""
        self.drain()
        self.send(*pkts)
        return self.collect(match, timeout, count)

    def collect(self, match: Match, timeout: float, count: int = 1) -> list[Packet]:
        """Collect matching frames without sending anything first."""
        got: list[Packet] = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._sock], [], [], left)[0]:
                break
            pkt = self._sock.recv()
            if pkt is not None and match(pkt):
                got.append(pkt)
        return got

    def expect(self, pkts: Iterable[Packet], match: Match, what: str,
               timeout: float = 1.0) -> Packet:
        """Send ``pkts`` and return the first matching reply; fail naming ``what`` was missing."""
        got = self.exchange(pkts, match, timeout)
        assert got, f"no {what} within {timeout}s"
        return got[0]

    def expect_none(self, pkts: Iterable[Packet], match: Match, what: str,
                    timeout: float = QUIET) -> None:
        """Send ``pkts`` and fail if anything matching arrives within ``timeout``."""
        got = self.exchange(pkts, match, timeout)
        assert not got, f"unexpected {what}: {got[0].summary()}"

    def from_stack(self, pkt: Packet) -> bool:
        """Whether ``pkt`` is an IPv4 packet sent by the stack."""
        return IP in pkt and pkt[IP].src == self.bed.stack_ip
