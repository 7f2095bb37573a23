"""A throwaway network namespace with a veth `eth0` the host reaches, as Docker's bridge
hook would leave it: what a runtime run from a bundle gets, without Docker."""

from netstack.containerns import container_netns

HOST_IP, GUEST_IP, PREFIX = "10.251.0.1", "10.251.0.2", 30


def veth_netns(name: str):
    """Context manager yielding the namespace's path; the namespace and its veth pair go after."""
    return container_netns(name, GUEST_IP, HOST_IP, PREFIX, host_if=f"{name}h")
