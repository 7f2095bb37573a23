"""Per-namespace sysctls under /proc/sys/net, written from a thread inside the namespace."""
from . import netns


def write(key: str, value: str | int, ns: str | None = None) -> None:
    """Set ``key`` (slash form, e.g. ``net/ipv6/conf/eth0/disable_ipv6``) in namespace ``ns``."""
    with netns.entered(ns), open(f"/proc/sys/{key}", "w") as f:
        f.write(str(value))


def read(key: str, ns: str | None = None) -> str:
    """Read ``key`` in namespace ``ns``."""
    with netns.entered(ns), open(f"/proc/sys/{key}") as f:
        return f.read().strip()
