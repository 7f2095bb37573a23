"""RFC conformance of network stacks (ARP, IPv4, ICMPv4, UDP, TCP), driven by scapy."""
