"""A throwaway network namespace with a veth `eth0` the host reaches, as Docker's bridge
hook would leave it: what a runtime run from a bundle gets, without Docker."""

import subprocess
from contextlib import contextmanager

HOST_IP, GUEST_IP = "10.251.0.1", "10.251.0.2"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@contextmanager
def veth_netns(name: str):
    """Yield the namespace's path; the namespace (and with it the veth pair) is deleted after."""
    _ip("netns", "add", name)
    try:
        _ip("link", "add", f"{name}h", "type", "veth", "peer", "name", "eth0", "netns", name)
        _ip("addr", "add", f"{HOST_IP}/30", "dev", f"{name}h")
        _ip("link", "set", f"{name}h", "up")
        _ip("-n", name, "addr", "add", f"{GUEST_IP}/30", "dev", "eth0")
        _ip("-n", name, "link", "set", "eth0", "up")
        _ip("-n", name, "link", "set", "lo", "up")
        _ip("-n", name, "route", "add", "default", "via", HOST_IP)
        yield f"/run/netns/{name}"
    finally:
        subprocess.run(["ip", "link", "del", f"{name}h"], capture_output=True)
        _ip("netns", "del", name)
