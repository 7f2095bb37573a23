"""The interface every sandbox kernel implements."""

from dataclasses import dataclass, field


@dataclass
class RootBind:
    """A host path the sandbox root exposes at `target` (relative to that root)."""

    source: str
    target: str
    readonly: bool = True
    is_file: bool = True


@dataclass
class NetworkPlan:
    """The container's network as the guest must take it over (from eth0 in its netns)."""

    tap: str
    name: str
    mac: str
    mtu: int
    addresses: list[tuple[int, str, int]] = field(default_factory=list)  # (family 4|6, address, prefix)
    gateways: list[tuple[int, str]] = field(default_factory=list)


class SandboxKernel:
    """prepare (at create) -> launch argv (at start) -> the kernel process is the container."""

    name = "base"

    def prepare(self, spec: dict, runtime: dict) -> list[RootBind]:
        """What the sandbox root needs besides the rootfs and the bind-mount sources.

        May record facts for later phases in `runtime` (saved in the state)."""
        raise NotImplementedError

    def launch_argv(self, spec: dict, runtime: dict, network: NetworkPlan | None) -> list[str]:
        """The kernel's argv, with paths as seen inside the sandbox root."""
        raise NotImplementedError
