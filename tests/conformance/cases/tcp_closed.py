"""TCP segments meeting no connection: RFC 9293 sections 3.10.7.1-3.10.7.2, RFC 1122 4.2.3.10."""
from scapy.layers.inet import TCP
from scapy.layers.l2 import Ether

from netstack.stacks import CLOSED_PORT

from ..probe import Probe
from ..registry import MUST, case
from .arp import BROADCAST
from .common import with_bad_checksum
from .tcpkit import Conn


@case("tcp", "RFC 9293", "3.10.7.1", MUST,
      "a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>")
def check_syn_closed_port_rst(probe: Probe) -> None:
    conn = Conn(probe, CLOSED_PORT)
    rst = probe.expect([conn.syn()], conn.match(), "reset")[TCP]
    assert rst.flags == "RA", f"flags {rst.flags}, expected RA"
    assert (rst.seq, rst.ack) == (0, (conn.iss + 1) % (1 << 32)), f"seq/ack {rst.seq}/{rst.ack}"


@case("tcp", "RFC 9293", "3.10.7.1", MUST,
      "an ACK to a closed port gets <SEQ=SEG.ACK><CTL=RST>")
def check_ack_closed_port_rst(probe: Probe) -> None:
    conn = Conn(probe, CLOSED_PORT)
    rst = probe.expect([conn.seg("A", seq=1000, ack=123456)], conn.match(), "reset")[TCP]
    assert rst.flags == "R" and rst.seq == 123456, f"got {rst.flags} seq {rst.seq}"


@case("tcp", "RFC 9293", "3.10.7.1", MUST, "a RST to a closed port is discarded")
def check_rst_closed_port_ignored(probe: Probe) -> None:
    conn = Conn(probe, CLOSED_PORT)
    probe.expect_none([conn.seg("R", seq=1000)], conn.match(), "answer to a RST")


@case("tcp", "RFC 9293", "3.10.7.2", MUST,
      "an ACK-bearing segment to a listening port gets <SEQ=SEG.ACK><CTL=RST>")
def check_ack_to_listen_rst(probe: Probe) -> None:
    conn = Conn(probe)
    rst = probe.expect([conn.seg("A", seq=2000, ack=654321)], conn.match(), "reset")[TCP]
    assert rst.flags == "R" and rst.seq == 654321, f"got {rst.flags} seq {rst.seq}"


@case("tcp", "RFC 9293", "3.10.7.2", MUST,
      "a SYN-ACK to a listening port gets <SEQ=SEG.ACK><CTL=RST>")
def check_synack_to_listen_rst(probe: Probe) -> None:
    conn = Conn(probe)
    rst = probe.expect([conn.seg("SA", seq=3000, ack=777777)], conn.match(), "reset")[TCP]
    assert rst.flags == "R" and rst.seq == 777777, f"got {rst.flags} seq {rst.seq}"


@case("tcp", "RFC 9293", "3.10.7.2", MUST, "a RST to a listening port is discarded")
def check_rst_to_listen_ignored(probe: Probe) -> None:
    conn = Conn(probe)
    probe.expect_none([conn.seg("R", seq=1000)], conn.match(), "answer to a RST")


@case("tcp", "RFC 9293", "3.1 (Checksum)", MUST, "a SYN with a bad checksum is discarded")
def check_syn_bad_checksum_dropped(probe: Probe) -> None:
    conn = Conn(probe)
    probe.expect_none([with_bad_checksum(conn.syn(), TCP)], conn.match(), "answer to a corrupt SYN")


@case("tcp", "RFC 1122", "4.2.3.10", MUST, "a SYN to a broadcast address is silently discarded")
def check_syn_to_broadcast_dropped(probe: Probe) -> None:
    conn = Conn(probe)
    syn = conn.syn()
    syn.dst = probe.bed.broadcast
    probe.expect_none([Ether(src=probe.bed.tester_mac, dst=BROADCAST) / syn],
                      lambda p: TCP in p and p[TCP].dport == conn.sport, "answer to a broadcast SYN")
