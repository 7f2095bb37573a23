"""IPv4 header processing: RFC 791 and RFC 1122 section 3.2.1 (fragments are in fragments.py)."""
from scapy.layers.inet import ICMP, IP, IPerror, IPOption
from scapy.layers.l2 import ARP

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import echo, fresh, ip, is_echo_reply, is_icmp_error, raw_frame, with_bad_checksum


def _dropped(probe: Probe, pkt, what: str = "echo reply to a datagram that must be discarded",
             ident: int | None = None) -> None:
    probe.expect_none([pkt], is_echo_reply(probe, ident if ident is not None else pkt[ICMP].id), what)


def _replied(probe: Probe, pkt, ident: int):
    return probe.expect([pkt], is_echo_reply(probe, ident), "echo reply")


@case("ipv4", "RFC 1122", "3.2.1.2", MUST, "a datagram with a bad header checksum is discarded")
def check_bad_checksum_dropped(probe: Probe) -> None:
    _dropped(probe, with_bad_checksum(echo(probe, fresh()), IP))


def _version(n: int) -> None:
    def check(probe: Probe) -> None:
        _dropped(probe, echo(probe, fresh(), version=n))
    check.__name__ = f"check_version_{n}_dropped"
    case("ipv4", "RFC 1122", "3.2.1.1", MUST,
         f"a datagram with version {n} is discarded")(check)


for _n in (5, 6):
    _version(_n)


@case("ipv4", "RFC 791", "3.1 (IHL)", MUST, "a header length below 5 words is discarded")
def check_ihl_too_small_dropped(probe: Probe) -> None:
    _dropped(probe, echo(probe, fresh(), ihl=4))


@case("ipv4", "RFC 791", "3.1 (IHL)", MUST,
      "a header length beyond the total length is discarded")
def check_ihl_beyond_total_length_dropped(probe: Probe) -> None:
    pkt = echo(probe, fresh(), ihl=15)
    pkt[IP].len = 20 + len(pkt[ICMP])
    _dropped(probe, pkt)


@case("ipv4", "RFC 791", "3.1 (Total Length)", MUST,
      "a total length beyond the frame's data is discarded")
def check_total_length_beyond_frame_dropped(probe: Probe) -> None:
    pkt = echo(probe, fresh())
    pkt[IP].len = 20 + len(pkt[ICMP]) + 40
    _dropped(probe, pkt)


@case("ipv4", "RFC 791", "3.1 (Total Length)", MUST,
      "a total length smaller than the header is discarded")
def check_total_length_below_header_dropped(probe: Probe) -> None:
    pkt = echo(probe, fresh(), len=16)
    _dropped(probe, pkt)


@case("ipv4", "RFC 791", "3.1 (Total Length)", MUST,
      "link-layer padding after the datagram is not taken as data")
def check_trailing_bytes_ignored(probe: Probe) -> None:
    ident = fresh()
    pkt = echo(probe, ident, payload=b"exact")
    reply = _replied(probe, raw_frame(probe, bytes(pkt) + b"\xAA" * 20), ident)
    assert bytes(reply[ICMP].payload).rstrip(b"\0") == b"exact", \
        f"echoed {bytes(reply[ICMP].payload)!r}"


@case("ipv4", "RFC 1122", "3.2.1.7", MUST,
      "a datagram for us with TTL 1 is delivered; the reply's TTL is not 0")
def check_ttl_one_delivered(probe: Probe) -> None:
    ident = fresh()
    reply = _replied(probe, echo(probe, ident, ttl=1), ident)
    assert reply[IP].ttl > 0, "reply sent with TTL 0"


def _option_bytes(reply) -> bytes:
    return bytes(reply[IP])[20:reply[IP].ihl * 4]


@case("ipv4", "RFC 1122", "3.2.1.8", MUST, "NOP and End-of-List options are accepted")
def check_options_nop_eol_accepted(probe: Probe) -> None:
    ident = fresh()
    _replied(probe, echo(probe, ident, options=[IPOption(b"\x01\x01\x01\x00")]), ident)


@case("ipv4", "RFC 1122", "3.2.1.8", MUST, "an unknown option is ignored, the datagram processed")
def check_unknown_option_ignored(probe: Probe) -> None:
    ident = fresh()
    _replied(probe, echo(probe, ident, options=[IPOption(b"\x9e\x04\x00\x00")]), ident)


def _reply_options(probe: Probe, option: bytes) -> bytes:
    """The IP options of the reply to an echo request carrying `option`."""
    ident = fresh()
    return _option_bytes(_replied(probe, echo(probe, ident, options=[IPOption(option)]), ident))


@case("ipv4", "RFC 1122", "3.2.2.6", SHOULD,
      "a Record Route option in an echo request is updated into the reply")
def check_record_route_reflected(probe: Probe) -> None:
    opts = _reply_options(probe, b"\x07\x0f\x04" + bytes(12) + b"\x00")
    assert opts[:1] == b"\x07", f"reply options {opts.hex() or 'none'}: no Record Route"
    assert opts[2] > 4, "Record Route pointer not advanced: our address not recorded"


@case("ipv4", "RFC 1122", "3.2.2.6", SHOULD,
      "a Timestamp option in an echo request is updated into the reply")
def check_timestamp_reflected(probe: Probe) -> None:
    opts = _reply_options(probe, b"\x44\x0c\x05\x00" + bytes(8))
    assert opts[:1] == b"\x44", f"reply options {opts.hex() or 'none'}: no Timestamp"
    assert opts[2] > 5, "Timestamp pointer not advanced: no timestamp added"


@case("ipv4", "RFC 1122", "3.2.2.5", SHOULD,
      "an option with a broken length draws a Parameter Problem, not an answer")
def check_bad_option_parameter_problem(probe: Probe) -> None:
    ident = fresh()
    pkt = echo(probe, ident, options=[IPOption(b"\x07\x02\x04\x00")])
    got = probe.exchange([pkt], lambda p: is_echo_reply(probe, ident)(p) or is_icmp_error(probe)(p))
    assert got, "neither a Parameter Problem nor anything else came back"
    assert ICMP in got[0] and got[0][ICMP].type == 12, f"got {got[0].summary()}"


def _martian(name: str, source: str, level: str, clause: str, why: str) -> None:
    def check(probe: Probe) -> None:
        ident = fresh()
        _dropped(probe, echo(probe, ident, src=source), f"echo reply to source {source}")
    check.__name__ = f"check_source_{name}_dropped"
    case("ipv4", "RFC 1122", clause, level, f"a datagram from {why} is discarded")(check)


_martian("limited_broadcast", "255.255.255.255", MUST, "3.2.1.3", "255.255.255.255")
_martian("multicast", "224.0.0.9", MUST, "3.2.1.3", "a multicast source")
_martian("directed_broadcast", "192.0.2.255", MUST, "3.2.1.3", "the subnet's broadcast address")
_martian("loopback", "127.0.0.1", MUST, "3.2.1.3 (g)", "a loopback source on the wire")
_martian("zero", "0.0.0.0", SHOULD, "3.2.1.3 (a)", "0.0.0.0 (which cannot be answered)")
_martian("own", "192.0.2.2", SHOULD, "3.2.1.3", "the stack's own address (a land attack)")


@case("ipv4", "RFC 1122", "3.2.1.3", MUST,
      "a datagram for another address is discarded, not answered or forwarded")
def check_other_destination_dropped(probe: Probe) -> None:
    ident, other = fresh(), "192.0.2.77"

    def leaked(pkt) -> bool:
        if ARP in pkt:
            return pkt[ARP].op == 1 and pkt[ARP].pdst == other
        return IP in pkt and (pkt[IP].dst == other or is_echo_reply(probe, ident)(pkt))
    probe.expect_none([echo(probe, ident, dst=other)], leaked, "answer or forwarding")


@case("ipv4", "RFC 1122", "3.2.2.1", SHOULD,
      "an unknown transport protocol draws Protocol Unreachable")
def check_protocol_unreachable(probe: Probe) -> None:
    ident = fresh()
    pkt = ip(probe, proto=253, id=ident) / b"unknown-protocol"
    err = probe.expect([pkt], is_icmp_error(probe, lambda inner: IPerror in inner and inner[IPerror].id == ident),
                       "ICMP error")
    assert (err[ICMP].type, err[ICMP].code) == (3, 2), f"got {err[ICMP].type}/{err[ICMP].code}"
