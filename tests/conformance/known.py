"""Known non-conformance of each stack, with the reading of the RFC that explains it.

The matrix tests of these pairs are strict xfails: a stack that starts conforming (or a case that
stops catching it) turns the run red, so this table stays true.
"""
_LINUX = {
    "arp.conflict_defended":
        "Linux leaves RFC 5227 address defence to user space (e.g. an ACD daemon); the kernel "
        "answers probes but never announces to defend",
    "ipv4.source_directed_broadcast_dropped":
        "with rp_filter off (the kernel's default) Linux checks a source only against local "
        "addresses, so the subnet broadcast passes as a source (RFC 1122 3.2.1.3 says discard); "
        "rp_filter=1 makes it conform",
}

_GVISOR_CHECKSUMS = (
    "runsc's default --rx-checksum-offload=true makes netstack trust the host NIC to have checked "
    "checksums; over a veth nobody has, so corrupt datagrams are accepted")

KNOWN: dict[str, dict[str, str]] = {
    "linux": _LINUX,
    "gvisor": {
        "ipv4.bad_checksum_dropped": _GVISOR_CHECKSUMS,
        "udp.bad_checksum_dropped": _GVISOR_CHECKSUMS,
        "tcp.syn_bad_checksum_dropped": _GVISOR_CHECKSUMS,
        "tcp.bad_checksum_data_dropped": _GVISOR_CHECKSUMS,
        "icmp.no_error_for_link_broadcast":
            "netstack does not look at the link-layer destination, so a unicast IP datagram in a "
            "broadcast frame draws Port Unreachable (RFC 1122 3.2.2 forbids it)",
        "icmp.error_rate_limited":
            "netstack's ICMP rate limiter (1000/s by default) lets a 40-datagram burst through",
        "udp.length_short_trims":
            "netstack echoes the whole IP payload when the UDP length says less (RFC 768 length)",
        "tcp.rst_in_window_challenged":
            "this netstack (2022) drops an inexact in-window RST silently instead of the RFC 5961 "
            "challenge ACK",
        "tcp.ack_of_unsent_data":
            "netstack accepts the data of a segment that acknowledges unsent data instead of "
            "ACKing and dropping it (RFC 9293 3.10.7.4)",
    },
    "lwip": {
        "ipv4.record_route_reflected": "lwIP ignores IP options: no Record Route in echo replies",
        "ipv4.timestamp_reflected": "lwIP ignores IP options: no Timestamp in echo replies",
        "ipv4.bad_option_parameter_problem": "lwIP never sends Parameter Problem",
        "icmp.no_error_for_link_broadcast":
            "lwIP does not track the link-layer destination, so a unicast IP datagram in a "
            "broadcast frame draws Port Unreachable (RFC 1122 3.2.2 forbids it)",
        "icmp.error_rate_limited": "lwIP has no ICMP error rate limiting",
        "udp.length_beyond_payload_dropped":
            "lwIP does not check the UDP length field against the IP payload",
        "udp.length_below_header_dropped":
            "lwIP does not check the UDP length field against the IP payload",
        "udp.length_short_trims":
            "lwIP delivers the whole IP payload whatever the UDP length says",
        "tcp.ack_closed_port_rst":
            "lwIP sets ACK on every RST; RFC 9293 3.10.7.1 wants <SEQ=SEG.ACK><CTL=RST> alone",
        "tcp.ack_to_listen_rst":
            "lwIP sets ACK on every RST; RFC 9293 3.10.7.2 wants <SEQ=SEG.ACK><CTL=RST> alone",
        "tcp.synack_to_listen_rst":
            "lwIP sets ACK on every RST; RFC 9293 3.10.7.2 wants <SEQ=SEG.ACK><CTL=RST> alone",
        "tcp.ack_of_unsent_data":
            "lwIP accepts the data of a segment acknowledging unsent data (RFC 9293 3.10.7.4 says "
            "ACK and drop)",
    },
}


def known_failure(stack: str, case_id: str) -> str | None:
    """Why ``stack`` is known to fail ``case_id``, or None if it is expected to pass."""
    family = "linux" if stack.startswith(("uml-", "vm-")) or stack == "lkl" else stack  # the same kernel code
    return KNOWN.get(family, {}).get(case_id)
