"""IPv4 fragmentation and reassembly: RFC 791 section 3.2 and RFC 1122 section 3.3.2."""
import time

from scapy.layers.inet import ICMP, IP

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import echo, fresh, is_echo_reply, ping_ok, split

PAYLOAD = bytes(range(256)) * 4  # 1024 bytes: an 1032-byte ICMP message, cut in pieces


def _request(probe: Probe, ident: int, payload: bytes = PAYLOAD):
    return echo(probe, ident, payload, id=ident, flags=0)


def _assert_echoed(probe: Probe, frags, ident: int, payload: bytes = PAYLOAD) -> None:
    reply = probe.expect(frags, is_echo_reply(probe, ident), "echo reply to the reassembled request")
    assert bytes(reply[ICMP].payload) == payload, "the reassembled data came back altered"


THIRDS = [(0, 344), (344, 688), (688, 1032)]


@case("ipv4", "RFC 1122", "3.3.2", MUST, "fragments in order are reassembled")
def check_frag_in_order(probe: Probe) -> None:
    ident = fresh()
    _assert_echoed(probe, split(_request(probe, ident), THIRDS), ident)


@case("ipv4", "RFC 791", "3.2 (Reassembly)", MUST, "fragments in reverse order are reassembled")
def check_frag_reverse_order(probe: Probe) -> None:
    ident = fresh()
    _assert_echoed(probe, split(_request(probe, ident), THIRDS)[::-1], ident)


@case("ipv4", "RFC 791", "3.2 (Reassembly)", SHOULD, "a duplicated fragment does not spoil reassembly")
def check_frag_duplicate(probe: Probe) -> None:
    ident = fresh()
    frags = split(_request(probe, ident), THIRDS)
    _assert_echoed(probe, [frags[0], frags[1], frags[1], frags[2]], ident)


@case("ipv4", "RFC 791", "3.2 (Identification)", MUST,
      "interleaved fragments of two datagrams are told apart by their identification")
def check_frag_interleaved(probe: Probe) -> None:
    a, b = fresh(), fresh()
    fa = split(_request(probe, a), [(0, 512), (512, 1032)])
    fb = split(_request(probe, b, PAYLOAD[::-1]), [(0, 512), (512, 1032)])
    got = probe.exchange([fa[0], fb[0], fa[1], fb[1]],
                         lambda p: is_echo_reply(probe, a)(p) or is_echo_reply(probe, b)(p),
                         count=2)
    assert {p[ICMP].id for p in got} == {a, b}, f"replies for {[p[ICMP].id for p in got]} only"


@case("ipv4", "RFC 791", "3.2 (Reassembly)", SHOULD,
      "overlapping fragments are discarded or reassembled consistently, never mixed")
def check_frag_overlap_consistent(probe: Probe) -> None:
    ident = fresh()
    request = IP(bytes(_request(probe, ident)))
    whole = bytes(request.payload)
    # the second fragment's copy of bytes 504..512 has its 16-bit words rotated: the ICMP sum is
    # the same whichever copy wins, so only a mix of both would fail the checksum
    rotated = whole[:504] + whole[506:512] + whole[504:506] + whole[512:]
    first, second = split(request, [(0, 512)])[0], split(request, [(504, 1032)], rotated)[0]
    got = probe.exchange([first, second], is_echo_reply(probe, ident))
    if got:
        echoed = bytes(got[0][ICMP].payload)
        assert echoed in (whole[8:], rotated[8:]), "reassembled a mix of overlapping fragments"


@case("ipv4", "RFC 791", "3.2 (Reassembly)", MUST, "an incomplete datagram is never delivered")
def check_frag_incomplete_not_delivered(probe: Probe) -> None:
    ident = fresh()
    probe.expect_none(split(_request(probe, ident), THIRDS)[:2], is_echo_reply(probe, ident),
                      "echo reply to a datagram missing its last fragment")


@case("ipv4", "RFC 1122", "3.3.2 (timeout)", MUST,
      "reassembly waits for a fragment arriving a second late")
def check_frag_late_piece_completes(probe: Probe) -> None:
    ident = fresh()
    frags = split(_request(probe, ident), THIRDS)
    probe.send(*frags[:2])
    time.sleep(1.0)
    _assert_echoed(probe, frags[2:], ident)


@case("ipv4", "RFC 791", "3.1 (Total Length)", MUST,
      "fragments adding up past 65535 bytes are discarded and the stack survives")
def check_frag_oversize_dropped(probe: Probe) -> None:
    ident = fresh()
    request = IP(bytes(_request(probe, ident)))
    head = split(request, [(0, 512)])[0]
    tail = split(request, [(65528, 65628)], bytes(65528) + bytes(range(100)))[0]
    probe.expect_none([head, tail], is_echo_reply(probe, ident), "echo reply to a 65 kB+ datagram")
    assert ping_ok(probe), "the stack no longer answers a plain echo"
