"""Packet builders and reply matchers shared by the cases."""
import itertools
import random

from scapy.layers.inet import ICMP, IP, TCP, UDP, UDPerror, defragment, in4_chksum
from scapy.layers.l2 import Ether
from scapy.packet import Packet, Raw
from scapy.utils import checksum

from ..probe import Match, Probe


_serial = itertools.count(random.randrange(0x1000, 0x7000))


def fresh() -> int:
    """A number not used by an earlier case in this run: ICMP ids, ports, IP ids."""
    return next(_serial)


def peer(probe: Probe, n: int) -> tuple[str, str]:
    """An extra (MAC, IPv4) neighbour on the tester side that nothing answers ARP for."""
    host = 100 + n % 100
    return f"02:00:00:00:01:{host:02x}", probe.bed.stack_ip.rsplit(".", 1)[0] + f".{host}"


def ip(probe: Probe, **fields) -> IP:
    """An IPv4 header from the tester to the stack, with ``fields`` overriding."""
    return IP(**{"src": probe.bed.tester_ip, "dst": probe.bed.stack_ip, **fields})


def echo(probe: Probe, ident: int, payload: bytes = b"runu-conformance", **ip_fields) -> Packet:
    """An ICMP echo request with identifier ``ident``."""
    return ip(probe, **ip_fields) / ICMP(type=8, id=ident, seq=1) / payload


def is_echo_reply(probe: Probe, ident: int) -> Match:
    """Matches the stack's echo reply to request ``ident`` (also fragments of one, via IP)."""
    def match(pkt: Packet) -> bool:
        return (probe.from_stack(pkt) and ICMP in pkt and pkt[ICMP].type == 0
                and pkt[ICMP].id == ident)
    return match


def is_icmp_error(probe: Probe, quoting: Match | None = None) -> Match:
    """Matches any ICMP error from the stack (types 3, 4, 5, 11, 12), optionally one whose quoted
    datagram satisfies ``quoting``."""
    def match(pkt: Packet) -> bool:
        if not (probe.from_stack(pkt) and ICMP in pkt and pkt[ICMP].type in (3, 4, 5, 11, 12)):
            return False
        return quoting is None or quoting(pkt[ICMP].payload)
    return match


def is_udp_from(probe: Probe, to_port: int) -> Match:
    """Matches a UDP datagram from the stack to the tester's port ``to_port``."""
    return lambda pkt: probe.from_stack(pkt) and UDP in pkt and pkt[UDP].dport == to_port


def quotes_udp_port(sport: int) -> Match:
    """Matches a quoted datagram (inside an ICMP error) that is UDP from ``sport``."""
    return lambda inner: UDPerror in inner and inner[UDPerror].sport == sport


def ping_ok(probe: Probe) -> bool:
    """Whether a plain echo request still gets its reply (the stack is alive and well)."""
    ident = fresh()
    return bool(probe.exchange([echo(probe, ident)], is_echo_reply(probe, ident)))


def with_bad_checksum(pkt: Packet, layer) -> Packet:
    """``pkt`` rebuilt with ``layer``'s checksum deliberately wrong (all else as scapy builds it)."""
    built = pkt.__class__(bytes(pkt))
    built[layer].chksum ^= 0x5A5A
    return built


def checksum_errors(pkt: Packet) -> list[str]:
    """The checksums of a received IPv4 packet that do not verify: the header's (RFC 791) and, in
    an unfragmented packet, the ICMP, UDP (zero means none) or TCP one; a right sum folds to 0."""
    wire = bytes(pkt[IP])[:pkt[IP].len]
    header, body = wire[:pkt[IP].ihl * 4], wire[pkt[IP].ihl * 4:]
    wrong = ["IPv4 header"] if checksum(header) else []
    if pkt[IP].flags.MF or pkt[IP].frag:
        return wrong
    if ICMP in pkt and checksum(body):
        wrong.append("ICMP")
    if UDP in pkt and pkt[UDP].chksum and in4_chksum(17, pkt[IP], body):
        wrong.append("UDP")
    if TCP in pkt and in4_chksum(6, pkt[IP], body):
        wrong.append("TCP")
    return wrong


def raw_frame(probe: Probe, data: bytes) -> Packet:
    """An Ethernet frame to the stack carrying ``data`` verbatim as IPv4 (for broken lengths)."""
    return Ether(src=probe.bed.tester_mac, dst=probe.bed.stack_mac, type=0x0800) / Raw(data)


def split(pkt: Packet, pieces: list[tuple[int, int]], data: bytes | None = None) -> list[Packet]:
    """Fragments of IP packet ``pkt``: one per (start, end) byte range of its payload (starts are
    multiples of 8); the piece reaching the payload's end has MF clear. ``data`` replaces the payload
    bytes the pieces are cut from (for overlaps carrying different data)."""
    built = IP(bytes(pkt))
    payload = data if data is not None else bytes(built.payload)
    frags = []
    for start, end in pieces:
        head = built.copy()
        head.remove_payload()
        head.flags = "MF" if end < len(payload) else 0
        head.frag, head.len, head.chksum = start // 8, None, None
        frags.append(head / Raw(payload[start:end]))
    return frags


def reassembled(probe: Probe, fragments: int, timeout: float = 1.5) -> Packet | None:
    """Collect ``fragments`` fragments of one ICMP datagram from the stack and reassemble them."""
    got = probe.collect(lambda p: probe.from_stack(p) and p[IP].proto == 1
                        and (p[IP].flags.MF or p[IP].frag > 0), timeout, fragments)
    whole = [p for p in defragment([p[IP] for p in got]) if not (p.flags.MF or p.frag)]
    return whole[0] if whole else None
