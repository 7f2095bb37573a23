"""Read what a container runtime needs to hand an interface over to a sandbox kernel."""
import dataclasses
import socket

from pyroute2 import IPRoute

from . import link


@dataclasses.dataclass(frozen=True)
class Address:
    """One address with its prefix length; ``family`` is socket.AF_INET or AF_INET6."""
    family: int
    address: str
    prefixlen: int
    scope: str  # "global", "link" or "host"


@dataclasses.dataclass(frozen=True)
class Route:
    """A route leaving through the interface; ``dst`` None is the default route."""
    family: int
    dst: str | None
    dst_len: int
    gateway: str | None


@dataclasses.dataclass(frozen=True)
class InterfaceConfig:
    """An interface's link-layer and IP configuration at one moment."""
    name: str
    index: int
    mac: str
    mtu: int
    addresses: tuple[Address, ...]
    routes: tuple[Route, ...]

    def ipv4(self) -> list[Address]:
        """The IPv4 addresses."""
        return [a for a in self.addresses if a.family == socket.AF_INET]

    def ipv6(self, scope: str = "global") -> list[Address]:
        """The IPv6 addresses of ``scope`` (link-local ones are usually not worth handing over)."""
        return [a for a in self.addresses if a.family == socket.AF_INET6 and a.scope == scope]

    def gateway(self, family: int = socket.AF_INET) -> str | None:
        """The default gateway of ``family`` through this interface, if any."""
        return next((r.gateway for r in self.routes
                     if r.family == family and r.dst is None and r.gateway), None)


_SCOPES = {0: "global", 253: "link", 254: "host"}


def _addresses(ipr: IPRoute, idx: int) -> tuple[Address, ...]:
    return tuple(
        Address(msg["family"], msg.get("IFA_ADDRESS"), msg["prefixlen"],
                _SCOPES.get(msg["scope"], str(msg["scope"])))
        for msg in ipr.get_addr(index=idx))


def _routes(ipr: IPRoute, idx: int) -> tuple[Route, ...]:
    found = []
    for family in (socket.AF_INET, socket.AF_INET6):
        for msg in ipr.get_routes(family=family, table=254):
            if msg.get("RTA_OIF") == idx:
                found.append(Route(family, msg.get("RTA_DST"), msg["dst_len"],
                                   msg.get("RTA_GATEWAY")))
    return tuple(found)


def read(ipr: IPRoute, name: str) -> InterfaceConfig:
    """Snapshot ``name``'s MAC, MTU, addresses and main-table routes in the handle's namespace."""
    idx = link.index(ipr, name)
    msg = ipr.get_links(idx)[0]
    return InterfaceConfig(name, idx, msg.get("IFLA_ADDRESS"), msg.get("IFLA_MTU"),
                           _addresses(ipr, idx), _routes(ipr, idx))
