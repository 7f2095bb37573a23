"""UDP: RFC 768 and RFC 1122 section 4.1.3 (checksums and the length field)."""
from scapy.layers.inet import IP, UDP, in4_chksum
from scapy.packet import Raw

from netstack.stacks import ECHO_PORT

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import checksum_errors, fresh, ip, is_udp_from, with_bad_checksum


def datagram(probe: Probe, sport: int, payload: bytes = b"udp-conformance", **udp_fields):
    """A UDP datagram from the tester's ``sport`` to the stack's echo port."""
    return ip(probe) / UDP(sport=sport, dport=ECHO_PORT, **udp_fields) / payload


def _echoed(probe: Probe, pkt, sport: int, what: str = "UDP echo") -> UDP:
    return probe.expect([pkt], is_udp_from(probe, sport), what)[UDP]


def _not_echoed(probe: Probe, pkt, sport: int, what: str) -> None:
    probe.expect_none([pkt], is_udp_from(probe, sport), what)


@case("udp", "RFC 768", "User Interface", MUST, "a datagram to the echo port is delivered and echoed")
def check_echo(probe: Probe) -> None:
    sport = fresh()
    reply = _echoed(probe, datagram(probe, sport, b"hello"), sport)
    assert bytes(reply.payload) == b"hello" and reply.sport == ECHO_PORT, "wrong echo"
    wrong = checksum_errors(reply.underlayer)
    assert not wrong, f"echo has a bad {' and '.join(wrong)} checksum"


@case("udp", "RFC 1122", "4.1.3.4", MUST, "a zero checksum means none: the datagram is accepted")
def check_zero_checksum_accepted(probe: Probe) -> None:
    sport = fresh()
    _echoed(probe, datagram(probe, sport, chksum=0), sport)


@case("udp", "RFC 1122", "4.1.3.4", MUST, "a datagram with a bad checksum is silently discarded")
def check_bad_checksum_dropped(probe: Probe) -> None:
    sport = fresh()
    _not_echoed(probe, with_bad_checksum(datagram(probe, sport), UDP), sport,
                "echo of a corrupt datagram")


def _with_length(probe: Probe, sport: int, length: int):
    """A datagram whose UDP length says ``length``, checksum off (so only the length is wrong)."""
    return datagram(probe, sport, b"0123456789abcdef", len=length, chksum=0)


@case("udp", "RFC 768", "Fields (Length)", MUST, "a UDP length beyond the IP payload is discarded")
def check_length_beyond_payload_dropped(probe: Probe) -> None:
    sport = fresh()
    _not_echoed(probe, _with_length(probe, sport, 8 + 16 + 20), sport, "echo of a short datagram")


@case("udp", "RFC 768", "Fields (Length)", MUST, "a UDP length below the 8-byte header is discarded")
def check_length_below_header_dropped(probe: Probe) -> None:
    sport = fresh()
    _not_echoed(probe, _with_length(probe, sport, 4), sport, "echo of a datagram with length 4")


@case("udp", "RFC 768", "Fields (Length)", SHOULD,
      "bytes past the UDP length are not data: only the first Length bytes are echoed")
def check_length_short_trims(probe: Probe) -> None:
    sport = fresh()
    reply = _echoed(probe, _with_length(probe, sport, 8 + 6), sport)
    assert bytes(reply.payload) == b"012345", f"echoed {bytes(reply.payload)!r}"


def _sums_to_zero(probe: Probe, sport: int) -> IP:
    """An echo datagram whose checksum computes to 0, so it must travel as 0xFFFF (the echo's too:
    swapping addresses and ports leaves the one's-complement sum unchanged)."""
    def build(filler: int) -> IP:
        return IP(bytes(ip(probe) / UDP(sport=sport, dport=ECHO_PORT, chksum=0xFFFF)
                        / Raw(b"zero-sum--" + filler.to_bytes(2, "big"))))
    draft = build(0)
    draft[UDP].chksum = 0
    # with a zero filler word the checksum is ~sum; putting that word in brings the sum to 0xFFFF
    return build(in4_chksum(17, draft, bytes(draft[UDP])))


@case("udp", "RFC 768", "Fields (Checksum)", MUST,
      "a checksum computing to zero is transmitted as all ones")
def check_zero_sum_sent_as_ffff(probe: Probe) -> None:
    sport = fresh()
    pkt = _sums_to_zero(probe, sport)
    reply = _echoed(probe, pkt, sport)
    assert reply.chksum == 0xFFFF, f"echo checksum {reply.chksum:#06x}, expected 0xffff"

