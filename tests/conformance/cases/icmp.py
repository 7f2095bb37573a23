"""ICMPv4: RFC 792 and RFC 1122 section 3.2.2 (echo, errors and when never to send them)."""
import os

from scapy.layers.inet import ICMP, IP, IPOption, UDP, fragment

from netstack.stacks import CLOSED_PORT

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import (checksum_errors, echo, fresh, ip, is_echo_reply, is_icmp_error,
                     quotes_udp_port, reassembled, with_bad_checksum)
from .arp import BROADCAST


def _echoed(probe: Probe, payload: bytes) -> None:
    ident = fresh()
    reply = probe.expect([echo(probe, ident, payload)], is_echo_reply(probe, ident), "echo reply")
    assert reply[ICMP].seq == 1, f"sequence number {reply[ICMP].seq}, sent 1"
    assert bytes(reply[ICMP].payload) == payload, "echo data came back altered"
    wrong = checksum_errors(reply)
    assert not wrong, f"reply has a bad {' and '.join(wrong)} checksum"


def _echo_case(name: str, payload: bytes, what: str) -> None:
    def check(probe: Probe) -> None:
        _echoed(probe, payload)
    check.__name__ = f"check_echo_{name}"
    case("icmp", "RFC 792", "Echo or Echo Reply Message", MUST,
         f"echo {what} comes back with identifier, sequence and data intact")(check)


_echo_case("empty", b"", "without data")
_echo_case("odd_length", b"x", "of one byte (odd-length checksum)")
_echo_case("zeros", bytes(56), "of 56 zero bytes")
_echo_case("ones", b"\xff" * 56, "of 56 0xFF bytes")
_echo_case("random", os.urandom(300), "of 300 random bytes")
_echo_case("full_mtu", bytes(range(256)) * 5 + bytes(192), "filling a 1500-byte MTU")


@case("icmp", "RFC 1122", "3.2.2.6", MUST,
      "echo of 4000 bytes: fragmented request, fragmented reply, data intact")
def check_echo_fragmented(probe: Probe) -> None:
    ident, payload = fresh(), os.urandom(4000)
    probe.drain()
    probe.send(*fragment(echo(probe, ident, payload, id=ident), fragsize=1480))
    reply = reassembled(probe, fragments=3)
    assert reply is not None, "no complete fragmented echo reply"
    assert reply[ICMP].id == ident and bytes(reply[ICMP].payload) == payload, "echo data altered"


@case("icmp", "RFC 1122", "3.2.2.6", MUST,
      "the reply's source is the request's destination and it goes back to the requester")
def check_echo_reply_addresses(probe: Probe) -> None:
    ident = fresh()
    reply = probe.expect([echo(probe, ident)], is_echo_reply(probe, ident), "echo reply")
    assert (reply[IP].src, reply[IP].dst) == (probe.bed.stack_ip, probe.bed.tester_ip)


@case("icmp", "RFC 1122", "3.2.2", MUST, "an echo request with a bad ICMP checksum is discarded")
def check_bad_checksum_dropped(probe: Probe) -> None:
    ident = fresh()
    probe.expect_none([with_bad_checksum(echo(probe, ident), ICMP)], is_echo_reply(probe, ident),
                      "echo reply to a corrupt request")


def _broadcast_echo(name: str, dst: str) -> None:
    def check(probe: Probe) -> None:
        ident = fresh()
        got = probe.exchange([probe.frame(echo(probe, ident, dst=dst), dst=BROADCAST)],
                             lambda p: IP in p and ICMP in p and p[ICMP].type == 0
                             and p[ICMP].id == ident)
        if got:  # discarding is allowed (MAY); answering from the broadcast address is not
            assert got[0][IP].src == probe.bed.stack_ip, f"reply from {got[0][IP].src}"
    check.__name__ = f"check_echo_{name}"
    case("icmp", "RFC 1122", "3.2.2.6", MUST,
         f"echo to {dst}: ignored, or answered from our unicast address")(check)


_broadcast_echo("limited_broadcast", "255.255.255.255")
_broadcast_echo("directed_broadcast", "192.0.2.255")


def _udp_to_closed(probe: Probe, sport: int, **ip_fields):
    return ip(probe, **ip_fields) / UDP(sport=sport, dport=CLOSED_PORT) / b"anyone?"


@case("icmp", "RFC 1122", "4.1.3.1", SHOULD, "UDP to a closed port draws Port Unreachable")
def check_port_unreachable(probe: Probe) -> None:
    sport = fresh()
    err = probe.expect([_udp_to_closed(probe, sport)],
                       is_icmp_error(probe, quotes_udp_port(sport)), "ICMP error")
    assert (err[ICMP].type, err[ICMP].code) == (3, 3), f"got {err[ICMP].type}/{err[ICMP].code}"


@case("icmp", "RFC 792", "Destination Unreachable Message", MUST,
      "an ICMP error quotes the offending IP header and at least 8 bytes of its data")
def check_error_quotes_datagram(probe: Probe) -> None:
    sport = fresh()
    sent = IP(bytes(_udp_to_closed(probe, sport)))
    err = probe.expect([sent], is_icmp_error(probe, quotes_udp_port(sport)), "ICMP error")
    quoted, original = bytes(err[ICMP].payload), bytes(sent)
    assert len(quoted) >= 28, f"only {len(quoted)} bytes quoted"
    # TTL and header checksum (bytes 8-11) may differ if the quote is taken after processing
    assert quoted[:8] + quoted[12:28] == original[:8] + original[12:28], \
        "the quoted header and first 8 data bytes are not the datagram's"


def _no_error(name: str, clause: str, title: str, build) -> None:
    """Register a case: the datagram ``build(probe, sport)`` must draw no ICMP error."""
    def check(probe: Probe) -> None:
        sport = fresh()
        probe.expect_none([build(probe, sport)], is_icmp_error(probe), "ICMP error")
    check.__name__ = f"check_no_error_{name}"
    case("icmp", "RFC 1122", clause, MUST, title)(check)


_no_error("for_broadcast_destination", "3.2.2",
          "no error about a datagram sent to a broadcast address",
          lambda probe, sport: probe.frame(_udp_to_closed(probe, sport, dst=probe.bed.broadcast),
                                           dst=BROADCAST))
_no_error("for_link_broadcast", "3.2.2",
          "no error about a datagram sent as a link-layer broadcast",
          lambda probe, sport: probe.frame(_udp_to_closed(probe, sport), dst=BROADCAST))
_no_error("for_multicast_source", "3.2.2",
          "no error about a datagram whose source is multicast",
          lambda probe, sport: _udp_to_closed(probe, sport, src="224.0.0.9"))
_no_error("for_non_initial_fragment", "3.2.2",
          "no error about a non-initial fragment",
          lambda probe, sport: fragment(_udp_to_closed(probe, sport, id=sport) / bytes(64),
                                        fragsize=32)[1])
_no_error("about_icmp_error", "3.2.2",
          "no error (even Parameter Problem) about an ICMP error message",
          lambda probe, sport: ip(probe, options=[IPOption(b"\x07\x02\x04\x00")])
          / ICMP(type=3, code=3) / IP(src=probe.bed.stack_ip, dst=probe.bed.tester_ip)
          / UDP(sport=CLOSED_PORT, dport=sport))


@case("icmp", "RFC 1812", "4.3.2.8", SHOULD,
      "ICMP errors are rate-limited: a burst of 40 bad datagrams draws fewer than 40")
def check_error_rate_limited(probe: Probe) -> None:
    sport = fresh()
    probe.drain()
    probe.send(*[_udp_to_closed(probe, sport) for _ in range(40)])
    errors = probe.collect(is_icmp_error(probe, quotes_udp_port(sport)), 1.0, count=40)
    assert errors, "no Port Unreachable at all: rate limiting cannot be told from no errors"
    assert len(errors) < 40, "every one of 40 back-to-back datagrams drew an error"


@case("icmp", "RFC 1122", "3.2.2", MUST, "an ICMP message of unknown type is silently discarded")
def check_unknown_type_discarded(probe: Probe) -> None:
    probe.expect_none([ip(probe) / ICMP(type=99, code=0) / b"??"],
                      lambda p: probe.from_stack(p) and ICMP in p, "ICMP answer")


@case("icmp", "RFC 1122", "3.2.2.9", MUST,
      "no Address Mask Reply from a host not configured as a mask authority")
def check_no_address_mask_reply(probe: Probe) -> None:
    ident = fresh()
    probe.expect_none([ip(probe) / ICMP(type=17, id=ident) / bytes(4)],
                      lambda p: probe.from_stack(p) and ICMP in p and p[ICMP].type == 18,
                      "Address Mask Reply")

