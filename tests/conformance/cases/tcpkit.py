"""A scapy TCP peer for the TCP cases: segments built from an explicit connection state."""
import random
import time

from scapy.layers.inet import TCP
from scapy.packet import Packet

from netstack.stacks import ECHO_PORT

from ..probe import Match, Probe
from .common import fresh, ip

MSS_1460 = [("MSS", 1460)]


def option(seg: Packet, name: str):
    """The value of TCP option ``name`` in ``seg``, or None."""
    return next((value for key, value in seg[TCP].options if key == name), None)


class Conn:
    """The tester's side of one TCP connection to the stack, sequence numbers tracked by hand."""

    def __init__(self, probe: Probe, dport: int = ECHO_PORT):
        self.probe, self.dport, self.sport = probe, dport, fresh()
        self.iss = random.randrange(1 << 32)
        self.snd_nxt = self.iss
        self.rcv_nxt = 0
        self.received = b""

    def from_stack(self, pkt: Packet) -> bool:
        """Whether ``pkt`` is a segment of this connection sent by the stack."""
        return (self.probe.from_stack(pkt) and TCP in pkt and pkt[TCP].dport == self.sport
                and pkt[TCP].sport == self.dport)

    def match(self, flags: str | None = None) -> Match:
        """Matches this connection's segments from the stack, with exactly ``flags`` if given."""
        return lambda p: self.from_stack(p) and (flags is None or p[TCP].flags == flags)

    def seg(self, flags: str = "A", payload: bytes = b"", seq: int | None = None,
            ack: int | None = None, **tcp_fields) -> Packet:
        """A segment from the tester, by default at SND.NXT acknowledging RCV.NXT."""
        return ip(self.probe) / TCP(
            sport=self.sport, dport=self.dport, flags=flags, window=65535,
            seq=self.snd_nxt if seq is None else seq % (1 << 32),
            ack=(self.rcv_nxt if ack is None else ack) if "A" in flags else 0,
            **tcp_fields) / payload

    def syn(self, options=MSS_1460, payload: bytes = b"") -> Packet:
        """The opening SYN."""
        return self.seg("S", payload, seq=self.iss, options=options)

    def open(self, options=MSS_1460) -> Packet:
        """Complete a three-way handshake; returns the stack's SYN-ACK."""
        synack = self.probe.expect([self.syn(options)], self.match("SA"), "SYN-ACK")
        self.snd_nxt = (self.iss + 1) % (1 << 32)
        self.rcv_nxt = (synack[TCP].seq + 1) % (1 << 32)
        self.probe.send(self.seg("A"))
        return synack

    def send(self, data: bytes) -> None:
        """Send ``data`` in one segment and advance SND.NXT."""
        self.probe.send(self.seg("PA", data))
        self.snd_nxt = (self.snd_nxt + len(data)) % (1 << 32)

    def read(self, nbytes: int, timeout: float = 2.0) -> list[Packet]:
        """Receive (and acknowledge) in-order data until ``nbytes`` more bytes are in; returns the
        data segments, including duplicates, so callers can check their sizes."""
        want, segments = len(self.received) + nbytes, []
        deadline = time.monotonic() + timeout
        while len(self.received) < want and time.monotonic() < deadline:
            got = self.probe.collect(lambda p: self.from_stack(p) and len(p[TCP].payload) > 0,
                                     deadline - time.monotonic())
            if not got:
                break
            segment = got[0][TCP]
            segments.append(segment)
            if segment.seq == self.rcv_nxt:
                data = bytes(segment.payload)
                self.received += data
                self.rcv_nxt = (self.rcv_nxt + len(data)) % (1 << 32)
            self.probe.send(self.seg("A"))
        return segments

    def echo(self, data: bytes, timeout: float = 2.0) -> bytes:
        """Send ``data`` and return what the echo service sent back within ``timeout``."""
        start = len(self.received)
        self.probe.drain()
        self.send(data)
        self.read(len(data), timeout)
        return self.received[start:]

    def abort(self) -> None:
        """Reset the connection so the stack drops its state."""
        self.probe.send(self.seg("R"))
