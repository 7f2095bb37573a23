"""The library kernel's network: interfaces on host taps, addresses and routes.

Configuration is rtnetlink, as `ip` does it: pyroute2 encodes the messages,
which go to the library kernel through its own netlink socket.
"""

import fcntl
import ipaddress
import os
import struct

from pyroute2.netlink import NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST, NLMSG_ERROR
from pyroute2.netlink.rtnl import RTM_NEWADDR, RTM_NEWLINK, RTM_NEWROUTE
from pyroute2.netlink.rtnl.ifaddrmsg import ifaddrmsg
from pyroute2.netlink.rtnl.ifinfmsg import ifinfmsg
from pyroute2.netlink.rtnl.rtmsg import rtmsg

from lkl_bindings.constants import AF_INET, AF_INET6, AF_NETLINK, NETLINK_ROUTE, SOCK_RAW

TUNSETIFF, TUNSETOFFLOAD = 0x400454CA, 0x400454D0
IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_UP = 0x0002, 0x1000, 0x4000, 0x1
# What the interface takes from the tap: checksums left undone, TCP segments up to 64 KB (ECN too).
TUN_OFFLOADS = 0x1 | 0x2 | 0x4 | 0x8  # TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN
NETDEV_ADD_VNET_HDR = 1  # lkl_netdev_add's flag (the port's uapi <asm/unistd.h>)
IFA_F_NODAD = 0x02
RT_TABLE_MAIN, RTPROT_BOOT, RTN_UNICAST = 254, 3, 1
_NLMSGHDR = struct.Struct("<IHHII")


def _rtnetlink(kernel, msg, flags: int = 0) -> None:
    """Send one request to the kernel's rtnetlink and raise OSError if it refuses."""
    msg["header"]["flags"] = NLM_F_REQUEST | NLM_F_ACK | flags
    msg["header"]["sequence_number"] = 1
    msg.encode()
    with kernel.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE) as sock:
        sock.send(bytes(msg.data))
        reply = sock.recv(65536)
    _, kind, _, _, _ = _NLMSGHDR.unpack_from(reply)
    if kind == NLMSG_ERROR:
        (error,) = struct.unpack_from("<i", reply, _NLMSGHDR.size)
        if error < 0:
            raise OSError(-error, f"{os.strerror(-error)} (rtnetlink)")


def _family(address) -> int:
    return AF_INET if address.version == 4 else AF_INET6


class Interface:
    """A network interface of the library kernel."""

    def __init__(self, kernel, index: int, tap_fd: int):
        self.kernel, self.index, self.tap_fd = kernel, index, tap_fd

    @property
    def name(self) -> str:
        for name in self.kernel.listdir("/sys/class/net"):
            if self.kernel.read_file(f"/sys/class/net/{name}/ifindex").strip() == str(self.index).encode():
                return name
        raise LookupError(f"no interface with index {self.index}")

    @property
    def mac(self) -> str:
        return self.kernel.read_file(f"/sys/class/net/{self.name}/address").decode().strip()

    def up(self) -> None:
        msg = ifinfmsg()
        msg["header"]["type"] = RTM_NEWLINK
        msg["index"], msg["flags"], msg["change"] = self.index, IFF_UP, IFF_UP
        _rtnetlink(self.kernel, msg)

    def set_address(self, cidr: str) -> None:
        """Add an IPv4 or IPv6 address (an IPv6 one usable at once: no duplicate detection)."""
        network = ipaddress.ip_interface(cidr)
        msg = ifaddrmsg()
        msg["header"]["type"] = RTM_NEWADDR
        msg["family"], msg["prefixlen"], msg["index"] = _family(network), network.network.prefixlen, self.index
        msg["flags"] = IFA_F_NODAD if network.version == 6 else 0
        msg["attrs"] = [("IFA_LOCAL", str(network.ip)), ("IFA_ADDRESS", str(network.ip))]
        _rtnetlink(self.kernel, msg, NLM_F_CREATE | NLM_F_EXCL)


def open_tap(name: str) -> int:
    """A descriptor on host tap `name`: frames without a packet-info header, each after a
    virtio-net header, with the offloads the library's interface takes."""
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_CLOEXEC)
    try:
        fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI | IFF_VNET_HDR))
        fcntl.ioctl(fd, TUNSETOFFLOAD, TUN_OFFLOADS)
    except OSError:
        os.close(fd)
        raise
    return fd


def add_tap(kernel, name: str, mac: str | None = None) -> Interface:
    fd = open_tap(name)
    try:
        index = kernel.syscall("lkl_netdev_add", fd, bytes.fromhex(mac.replace(":", "")) if mac else None,
                               NETDEV_ADD_VNET_HDR)
    except OSError:
        os.close(fd)
        raise
    return Interface(kernel, index, fd)


def add_route(kernel, destination: str, gateway: str) -> None:
    via = ipaddress.ip_address(gateway)
    msg = rtmsg()
    msg["header"]["type"] = RTM_NEWROUTE
    msg["family"], msg["table"], msg["proto"] = _family(via), RT_TABLE_MAIN, RTPROT_BOOT
    msg["scope"], msg["type"] = 0, RTN_UNICAST
    attrs = [("RTA_GATEWAY", str(via))]
    if destination != "default":
        network = ipaddress.ip_network(destination)
        msg["dst_len"] = network.prefixlen
        attrs.insert(0, ("RTA_DST", str(network.network_address)))
    msg["attrs"] = attrs
    _rtnetlink(kernel, msg, NLM_F_CREATE | NLM_F_EXCL)
