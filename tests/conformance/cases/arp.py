"""ARP: RFC 826 packet reception, RFC 5227 probes and announcements, RFC 1122 2.3.2."""
import time

from scapy.layers.l2 import ARP, Ether

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import echo, fresh, is_echo_reply, peer

BROADCAST = "ff:ff:ff:ff:ff:ff"


def request(probe: Probe, target: str | None = None, mac: str | None = None,
            src_ip: str | None = None, dst: str = BROADCAST, **arp_fields) -> Ether:
    """An ARP who-has frame from the tester (or ``mac``/``src_ip``) for ``target``."""
    mac = mac or probe.bed.tester_mac
    return Ether(src=mac, dst=dst) / ARP(**{
        "op": 1, "hwsrc": mac, "psrc": src_ip or probe.bed.tester_ip,
        "hwdst": "00:00:00:00:00:00", "pdst": target or probe.bed.stack_ip, **arp_fields})


def is_arp_reply(probe: Probe):
    """Matches an ARP reply (opcode 2) sent by the stack."""
    return lambda pkt: ARP in pkt and pkt[ARP].op == 2 and pkt[Ether].src == probe.bed.stack_mac


def is_any_arp_from_stack(probe: Probe):
    return lambda pkt: ARP in pkt and pkt[Ether].src == probe.bed.stack_mac


def _ask(probe: Probe, frame: Ether) -> ARP:
    return probe.expect([frame], is_arp_reply(probe), "ARP reply")[ARP]


@case("arp", "RFC 826", "Packet Reception", MUST, "a request for our address gets a reply")
def check_request_reply(probe: Probe) -> None:
    reply = _ask(probe, request(probe))
    assert reply.hwsrc == probe.bed.stack_mac, f"reply claims {reply.hwsrc}"
    assert reply.psrc == probe.bed.stack_ip, f"reply is for {reply.psrc}"


@case("arp", "RFC 826", "Packet Reception", MUST,
      "the reply goes to the requester: target fields swapped in, sent unicast")
def check_reply_addressed_to_requester(probe: Probe) -> None:
    mac, addr = peer(probe, fresh())
    got = probe.expect([request(probe, mac=mac, src_ip=addr)], is_arp_reply(probe), "ARP reply")
    assert got[Ether].dst == mac, f"reply sent to {got[Ether].dst}, not the requester {mac}"
    assert (got[ARP].hwdst, got[ARP].pdst) == (mac, addr), "target fields are not the requester's"


@case("arp", "RFC 826", "Packet format", MUST,
      "the reply is Ethernet/IPv4 with lengths 6 and 4")
def check_reply_format(probe: Probe) -> None:
    reply = _ask(probe, request(probe))
    assert (reply.hwtype, reply.ptype, reply.hwlen, reply.plen) == (1, 0x0800, 6, 4), \
        f"hrd/pro/hln/pln = {reply.hwtype}/{reply.ptype:#x}/{reply.hwlen}/{reply.plen}"


@case("arp", "RFC 826", "Packet Reception", MUST, "a request for another address is not answered")
def check_other_target_ignored(probe: Probe) -> None:
    _, other = peer(probe, fresh())
    probe.expect_none([request(probe, target=other)], is_arp_reply(probe), "ARP reply")


@case("arp", "RFC 1122", "2.3.2.1", SHOULD, "a unicast request (a cache validation poll) is answered")
def check_unicast_request(probe: Probe) -> None:
    _ask(probe, request(probe, dst=probe.bed.stack_mac))


@case("arp", "RFC 5227", "2.1.1", MUST,
      "a probe (sender address 0.0.0.0) for our address is answered, defending it")
def check_probe_answered(probe: Probe) -> None:
    mac, _ = peer(probe, fresh())
    _ask(probe, request(probe, mac=mac, src_ip="0.0.0.0"))


@case("arp", "RFC 5227", "2.3", MUST, "another host's announcement is not answered")
def check_announcement_not_answered(probe: Probe) -> None:
    mac, addr = peer(probe, fresh())
    probe.expect_none([request(probe, target=addr, mac=mac, src_ip=addr)],
                      is_any_arp_from_stack(probe), "ARP in answer to an announcement")


@case("arp", "RFC 5227", "2.4", SHOULD,
      "a conflicting announcement for our address is defended with our own announcement")
def check_conflict_defended(probe: Probe) -> None:
    mac, _ = peer(probe, fresh())
    ip_ = probe.bed.stack_ip
    got = probe.exchange([request(probe, target=ip_, mac=mac, src_ip=ip_)],
                         lambda p: is_any_arp_from_stack(probe)(p) and p[ARP].psrc == ip_, 1.0)
    assert got, "no defending ARP from the stack"


def _malformed(name: str, clause: str, level: str, title: str, **arp_fields) -> None:
    """Register a case sending a request with ``arp_fields`` spoiled, which must go unanswered."""
    def check(probe: Probe) -> None:
        probe.expect_none([request(probe, **arp_fields)], is_any_arp_from_stack(probe),
                          "ARP reply to a malformed request")
    check.__name__ = f"check_{name}"
    case("arp", "RFC 826", clause, level, title)(check)


_malformed("hwlen_wrong", "Packet Reception (ar$hln)", SHOULD,
           "a request with hardware length 8 is discarded", hwlen=8)
_malformed("plen_wrong", "Packet Reception (ar$pln)", SHOULD,
           "a request with protocol length 6 is discarded", plen=6)
_malformed("hardware_unknown", "Packet Reception (ar$hrd)", MUST,
           "a request for an unknown hardware type is discarded", hwtype=0x99)
_malformed("protocol_unknown", "Packet Reception (ar$pro)", MUST,
           "a request for an unknown protocol type is discarded", ptype=0x88B5)
_malformed("opcode_unknown", "Packet Reception (ar$op)", MUST,
           "an unknown opcode gets no reply", op=7)


def _echo_lands_at(probe: Probe, mac: str, addr: str) -> str | None:
    """The Ethernet destination of the stack's echo reply to ``addr`` (None: no reply)."""
    ident = fresh()
    frame = Ether(src=mac, dst=probe.bed.stack_mac) / echo(probe, ident, src=addr)
    got = probe.exchange([frame], is_echo_reply(probe, ident), 1.0)
    return got[0][Ether].dst if got else None


@case("arp", "RFC 826", "Packet Reception (merge)", MUST,
      "a request for us enters the sender in the cache: the next reply needs no ARP")
def check_sender_cached(probe: Probe) -> None:
    mac, addr = peer(probe, fresh())
    probe.send(request(probe, mac=mac, src_ip=addr))
    probe.collect(is_arp_reply(probe), 0.5)
    dst = _echo_lands_at(probe, mac, addr)
    assert dst == mac, "no echo reply (the stack asked ARP for a sender it was just told)" \
        if dst is None else f"echo reply sent to {dst}"


@case("arp", "RFC 826", "Packet Reception (merge)", MUST,
      "a newer request from a known sender updates its hardware address")
def check_sender_updated(probe: Probe) -> None:
    old_mac, addr = peer(probe, fresh())
    new_mac = "02:00:00:00:02:" + old_mac[-2:]
    probe.send(request(probe, mac=old_mac, src_ip=addr))
    probe.collect(is_arp_reply(probe), 0.3)
    assert _echo_lands_at(probe, old_mac, addr) == old_mac, "setup: first echo reply went astray"
    time.sleep(1.1)  # past Linux's default ARP locktime, which may ignore faster changes
    probe.send(request(probe, mac=new_mac, src_ip=addr))
    probe.collect(is_arp_reply(probe), 0.3)
    dst = _echo_lands_at(probe, new_mac, addr)
    assert dst == new_mac, f"echo reply sent to {dst}, the old address"

