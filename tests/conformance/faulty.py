"""A deliberately wrong stack for testing the suite itself: a scapy responder that answers ARP,
ICMP echo and UDP echo but never looks at a checksum."""
import select
import threading

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.l2 import ARP, Ether

from netstack import address, netns, sysctl
from netstack.stacks import ECHO_PORT, Stack
from netstack.testbed import Testbed

from .probe import open_socket


def answer(pkt, bed: Testbed):
    """The responder's answer to ``pkt``, or None. Checksums are never checked: that is the bug."""
    if ARP in pkt and pkt[ARP].op == 1 and pkt[ARP].pdst == bed.stack_ip:
        return Ether(src=bed.stack_mac, dst=pkt[ARP].hwsrc) / ARP(
            op=2, hwsrc=bed.stack_mac, psrc=bed.stack_ip, hwdst=pkt[ARP].hwsrc, pdst=pkt[ARP].psrc)
    if IP not in pkt or pkt[IP].dst != bed.stack_ip:
        return None
    back = Ether(src=bed.stack_mac, dst=pkt[Ether].src) / IP(src=bed.stack_ip, dst=pkt[IP].src)
    if ICMP in pkt and pkt[ICMP].type == 8:
        return back / ICMP(type=0, id=pkt[ICMP].id, seq=pkt[ICMP].seq) / bytes(pkt[ICMP].payload)
    if UDP in pkt and pkt[UDP].dport == ECHO_PORT:
        return back / UDP(sport=ECHO_PORT, dport=pkt[UDP].sport) / bytes(pkt[UDP].payload)
    return None


class FaultyStack(Stack):
    """The checksum-blind responder on the testbed's eth0 (the kernel's address taken off)."""
    name = "faulty"

    def __init__(self):
        self._halt = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, bed: Testbed) -> None:
        with netns.iproute(bed.stack_ns) as ipr:
            address.flush(ipr, bed.stack_if)
        sysctl.write(f"net/ipv6/conf/{bed.stack_if}/disable_ipv6", 1, bed.stack_ns)
        sock = open_socket(bed.stack_ns, bed.stack_if)
        self._thread = threading.Thread(target=self._serve, args=(sock, bed), daemon=True)
        self._thread.start()

    def _serve(self, sock, bed: Testbed) -> None:
        with sock:
            while not self._halt.is_set():
                if select.select([sock], [], [], 0.1)[0]:
                    pkt = sock.recv()
                    reply = pkt is not None and answer(pkt, bed)
                    if reply:
                        sock.send(reply)

    def stop(self) -> None:
        self._halt.set()
        if self._thread:
            self._thread.join()
            self._thread = None
