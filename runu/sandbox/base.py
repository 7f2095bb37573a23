"""The interface every sandbox kernel implements.

Plain classes rather than dataclasses: this is on every container start, and
importing dataclasses costs more than all of runu's own modules."""


class RootBind:
    """A host path the sandbox root exposes at `target` (relative to that root)."""

    def __init__(self, source: str, target: str, readonly: bool = True, is_file: bool = True):
        self.source, self.target, self.readonly, self.is_file = source, target, readonly, is_file


class NetworkPlan:
    """The container's network as the guest must take it over (from eth0 in its netns)."""

    def __init__(self, tap: str, name: str, mac: str, mtu: int,
                 addresses: list[tuple[int, str, int]], gateways: list[tuple[int, str]],
                 dns_tap: str, dns_relay: str, dns_guest: str):
        self.tap, self.name, self.mac, self.mtu = tap, name, mac, mtu
        self.addresses = addresses  # (family 4|6, address, prefix)
        self.gateways = gateways  # (family 4|6, gateway)
        # The side link to the DNS relay in the container's netns (see ext/runu-dnsrelay.h).
        self.dns_tap, self.dns_relay, self.dns_guest = dns_tap, dns_relay, dns_guest


class SandboxKernel:
    """prepare (at create) -> launch argv (at start) -> the kernel process is the container."""

    name = "base"

    def prepare(self, spec: dict, runtime: dict) -> list[RootBind]:
        """What the sandbox root needs besides the rootfs and the bind-mount sources.

        May record facts for later phases in `runtime` (saved in the state)."""
        raise NotImplementedError

    def launch_argv(self, spec: dict, runtime: dict) -> list[str]:
        """The kernel's argv, with paths as seen inside the sandbox root; runtime["network"]
        (tap, dns_tap, dns_relay) is there when the guest takes over a network."""
        raise NotImplementedError
