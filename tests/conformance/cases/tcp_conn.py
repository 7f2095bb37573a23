"""TCP connections: RFC 9293 (handshake, MSS, segment checks), RFC 7323 options, RFC 5961 resets."""
from scapy.layers.inet import TCP

from ..probe import Probe
from ..registry import MUST, SHOULD, case
from .common import checksum_errors, with_bad_checksum
from .tcpkit import MSS_1460, Conn, option

DATA = b"tcp-conformance-data"


@case("tcp", "RFC 9293", "3.5", MUST, "a SYN to a listening port gets a SYN-ACK acking ISS+1")
def check_handshake(probe: Probe) -> None:
    conn = Conn(probe)
    synack = conn.open()[TCP]
    assert synack.ack == (conn.iss + 1) % (1 << 32), f"SYN-ACK acks {synack.ack}"
    conn.abort()


@case("tcp", "RFC 9293", "3.1 (Checksum)", MUST,
      "the SYN-ACK and the data segments the stack sends carry right IP and TCP checksums")
def check_checksums_sent(probe: Probe) -> None:
    conn = Conn(probe)
    sent = [conn.open()]
    conn.send(DATA)
    sent += [segment.underlayer for segment in conn.read(len(DATA))]
    conn.abort()
    assert len(sent) > 1, "no data segment came back"
    for seg in sent:
        wrong = checksum_errors(seg)
        assert not wrong, f"{seg[TCP].flags} segment with a bad {' and '.join(wrong)} checksum"


@case("tcp", "RFC 9293", "3.8.6 / 3.10.7.4", MUST,
      "data on an open connection is acknowledged and delivered (echoed back intact)")
def check_data_echoed(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    assert conn.echo(DATA) == DATA, f"echoed {conn.received!r}"
    conn.abort()


@case("tcp", "RFC 9293", "3.7.1", SHOULD, "the SYN-ACK carries an MSS option")
def check_mss_option_sent(probe: Probe) -> None:
    conn = Conn(probe)
    synack = conn.open()
    conn.abort()
    assert option(synack, "MSS") is not None, f"SYN-ACK options {synack[TCP].options}"


@case("tcp", "RFC 9293", "3.7.1", MUST, "the advertised MSS fits the 1500-byte MTU (<= 1460)")
def check_mss_within_mtu(probe: Probe) -> None:
    conn = Conn(probe)
    mss = option(conn.open(), "MSS")
    conn.abort()
    assert mss is None or mss <= 1460, f"MSS {mss}"


def _largest_echo_segment(probe: Probe, options) -> int:
    conn = Conn(probe)
    conn.open(options)
    conn.send(bytes(1400))
    segments = conn.read(1400)
    conn.abort()
    assert len(conn.received) == 1400, f"only {len(conn.received)} of 1400 bytes echoed"
    return max(len(s.payload) for s in segments)


@case("tcp", "RFC 9293", "3.7.1", MUST, "segments respect the MSS the peer advertised (536)")
def check_peer_mss_respected(probe: Probe) -> None:
    largest = _largest_echo_segment(probe, [("MSS", 536)])
    assert largest <= 536, f"sent a {largest}-byte segment to a peer with MSS 536"


@case("tcp", "RFC 9293", "3.7.1", MUST, "without an MSS option the peer's MSS is taken as 536")
def check_default_mss_536(probe: Probe) -> None:
    largest = _largest_echo_segment(probe, [])
    assert largest <= 536, f"sent a {largest}-byte segment to a peer that advertised no MSS"


@case("tcp", "RFC 7323", "2.2", MUST, "no Window Scale in the SYN-ACK unless the SYN offered one")
def check_wscale_only_if_offered(probe: Probe) -> None:
    conn = Conn(probe)
    synack = conn.open(MSS_1460)
    conn.abort()
    assert option(synack, "WScale") is None, "SYN-ACK scales a window the peer cannot scale"


@case("tcp", "RFC 7323", "2.2", SHOULD, "a Window Scale offer is answered with one")
def check_wscale_answered(probe: Probe) -> None:
    conn = Conn(probe)
    synack = conn.open(MSS_1460 + [("WScale", 7)])
    conn.abort()
    assert option(synack, "WScale") is not None, f"SYN-ACK options {synack[TCP].options}"


@case("tcp", "RFC 7323", "3.2", MUST, "no Timestamps option in the SYN-ACK unless the SYN had one")
def check_timestamps_only_if_offered(probe: Probe) -> None:
    conn = Conn(probe)
    synack = conn.open(MSS_1460)
    conn.abort()
    assert option(synack, "Timestamp") is None, "SYN-ACK carries a Timestamps option unasked"


@case("tcp", "RFC 9293", "3.10.7.2", MUST,
      "data on a SYN is either acknowledged and delivered, or left unacked for a resend")
def check_syn_with_data(probe: Probe) -> None:
    conn = Conn(probe)
    synack = probe.expect([conn.syn(payload=DATA)], conn.match("SA"), "SYN-ACK")[TCP]
    conn.rcv_nxt = (synack.seq + 1) % (1 << 32)
    taken = synack.ack == (conn.iss + 1 + len(DATA)) % (1 << 32)
    assert taken or synack.ack == (conn.iss + 1) % (1 << 32), f"SYN-ACK acks {synack.ack}"
    conn.snd_nxt = synack.ack
    probe.send(conn.seg("A"))
    if taken:
        conn.read(len(DATA))
        echoed = conn.received
    else:
        echoed = conn.echo(DATA)
    conn.abort()
    assert echoed == DATA, f"echoed {echoed!r}: the SYN's data was {'lost' if taken else 'garbled'}"


def _still_open(conn: Conn) -> bool:
    return conn.echo(DATA, timeout=1.0) == DATA


@case("tcp", "RFC 9293", "3.10.7.4", MUST, "a RST at exactly RCV.NXT aborts the connection")
def check_rst_exact_aborts(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    probe.send(conn.seg("R"))
    got = probe.exchange([conn.seg("PA", DATA)], conn.match())
    assert got and "R" in got[0][TCP].flags, \
        f"after the RST, data drew {got[0].summary() if got else 'nothing'}, not a reset"


@case("tcp", "RFC 9293", "3.10.7.4", MUST, "a RST outside the receive window is ignored")
def check_rst_out_of_window_ignored(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    probe.send(conn.seg("R", seq=conn.snd_nxt + (1 << 30)))
    assert _still_open(conn), "the connection died from an out-of-window RST"
    conn.abort()


@case("tcp", "RFC 5961", "3.2", SHOULD,
      "an in-window RST not at RCV.NXT draws a challenge ACK and does not abort")
def check_rst_in_window_challenged(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    ack = probe.exchange([conn.seg("R", seq=conn.snd_nxt + 100)], conn.match("A"))
    assert ack, "no challenge ACK"
    assert _still_open(conn), "the connection died from an inexact RST"
    conn.abort()


@case("tcp", "RFC 5961", "4.2", SHOULD,
      "a SYN on an open connection draws a challenge ACK and does not abort")
def check_syn_established_challenged(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    got = probe.exchange([conn.seg("S", seq=conn.snd_nxt + 5000)], conn.match())
    assert got and got[0][TCP].flags == "A", f"got {got[0].summary() if got else 'nothing'}"
    assert _still_open(conn), "the connection died from an in-connection SYN"
    conn.abort()


@case("tcp", "RFC 9293", "3.1 (Checksum)", MUST, "a data segment with a bad checksum is discarded")
def check_bad_checksum_data_dropped(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    probe.expect_none([with_bad_checksum(conn.seg("PA", DATA), TCP)],
                      lambda p: conn.from_stack(p) and len(p[TCP].payload) > 0, "echo of corrupt data")
    conn.abort()


@case("tcp", "RFC 9293", "3.10.7.4", MUST,
      "an ACK for data never sent is answered with an ACK and its data dropped")
def check_ack_of_unsent_data(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    got = probe.exchange([conn.seg("PA", DATA, ack=conn.rcv_nxt + 100000)], conn.match(), 1.0,
                         count=2)
    conn.abort()
    assert got and got[0][TCP].flags == "A", f"got {got[0].summary() if got else 'nothing'}"
    assert all(len(p[TCP].payload) == 0 for p in got), "the data was delivered (echoed)"


@case("tcp", "RFC 9293", "3.10.7.4", SHOULD,
      "a segment beyond the receive window draws an ACK of RCV.NXT")
def check_out_of_window_acked(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    got = probe.exchange([conn.seg("PA", DATA, seq=conn.snd_nxt + (1 << 30))], conn.match("A"))
    conn.abort()
    assert got, "no ACK for an unacceptable segment"
    assert got[0][TCP].ack == conn.snd_nxt, f"ACK {got[0][TCP].ack}, RCV.NXT is {conn.snd_nxt}"


@case("tcp", "RFC 9293", "3.10.7.4", MUST, "a FIN is acknowledged (SEG.SEQ+1)")
def check_fin_acknowledged(probe: Probe) -> None:
    conn = Conn(probe)
    conn.open()
    got = probe.exchange([conn.seg("FA")],
                         lambda p: conn.from_stack(p) and p[TCP].ack == (conn.snd_nxt + 1) % (1 << 32))
    conn.snd_nxt += 1
    conn.abort()
    assert got, "the FIN was not acknowledged"
