"""The cases, one module per protocol; importing this package registers them all."""
from . import arp, ipv4, fragments, icmp, udp, tcp_closed, tcp_conn  # noqa: F401
