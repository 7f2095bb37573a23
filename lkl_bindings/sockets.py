"""Sockets of the library kernel: its own TCP/IP stack, driven by its system calls."""

import ipaddress
import struct

from lkl_bindings.constants import AF_INET, AF_INET6, SOL_SOCKET, SO_REUSEADDR

_IN = struct.Struct("<H")  # sa_family, host order; the rest is network order


def encode_address(family: int, address: tuple) -> bytes:
    """(host, port) -> struct sockaddr_in or sockaddr_in6."""
    host, port = address[0], address[1]
    if family == AF_INET:
        return _IN.pack(AF_INET) + struct.pack("!H", port) + ipaddress.IPv4Address(host or "0.0.0.0").packed + bytes(8)
    if family == AF_INET6:
        scope = address[3] if len(address) > 3 else 0
        return (_IN.pack(AF_INET6) + struct.pack("!HI", port, 0) + ipaddress.IPv6Address(host or "::").packed
                + struct.pack("<I", scope))
    raise ValueError(f"no address encoding for family {family}")


def decode_address(data: bytes) -> tuple:
    family = _IN.unpack_from(data)[0]
    port = struct.unpack_from("!H", data, 2)[0]
    if family == AF_INET:
        return str(ipaddress.IPv4Address(data[4:8])), port
    if family == AF_INET6:
        return str(ipaddress.IPv6Address(data[8:24])), port
    raise ValueError(f"no address decoding for family {family}")


class Socket:
    """A socket descriptor of the library kernel, with the socket module's method names."""

    def __init__(self, kernel, fd: int, family: int | None = None):
        self.kernel, self.fd = kernel, fd
        self.family = family if family is not None else self._family()

    def _family(self) -> int:
        buf, size = bytearray(128), bytearray(struct.pack("<i", 128))
        self.kernel.syscall("getsockname", self.fd, buf, size)
        return _IN.unpack_from(buf)[0]

    def __enter__(self) -> "Socket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self.fd >= 0:
            self.kernel.close(self.fd)
            self.fd = -1

    def setsockopt(self, level: int, option: int, value: int) -> None:
        self.kernel.syscall("setsockopt", self.fd, level, option, struct.pack("<i", value), 4)

    def bind(self, address: tuple, reuse: bool = True) -> None:
        if reuse:
            self.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        sockaddr = encode_address(self.family, address)
        self.kernel.syscall("bind", self.fd, sockaddr, len(sockaddr))

    def listen(self, backlog: int = 16) -> None:
        self.kernel.syscall("listen", self.fd, backlog)

    def accept(self) -> tuple["Socket", tuple]:
        buf, size = bytearray(128), bytearray(struct.pack("<i", 128))
        fd = self.kernel.syscall("accept4", self.fd, buf, size, 0)
        return Socket(self.kernel, fd, self.family), decode_address(bytes(buf))

    def connect(self, address: tuple) -> None:
        sockaddr = encode_address(self.family, address)
        self.kernel.syscall("connect", self.fd, sockaddr, len(sockaddr))

    def getsockname(self) -> tuple:
        buf, size = bytearray(128), bytearray(struct.pack("<i", 128))
        self.kernel.syscall("getsockname", self.fd, buf, size)
        return decode_address(bytes(buf))

    def send(self, data: bytes) -> int:
        return self.kernel.syscall("sendto", self.fd, bytes(data), len(data), 0, None, 0)

    def sendall(self, data: bytes) -> None:
        view = memoryview(bytes(data))
        while view:
            view = view[self.send(view):]

    def sendto(self, data: bytes, address: tuple) -> int:
        sockaddr = encode_address(self.family, address)
        return self.kernel.syscall("sendto", self.fd, bytes(data), len(data), 0, sockaddr, len(sockaddr))

    def recv(self, size: int) -> bytes:
        buf = bytearray(size)
        return bytes(buf[:self.kernel.syscall("recvfrom", self.fd, buf, size, 0, None, None)])

    def recvfrom(self, size: int) -> tuple[bytes, tuple]:
        buf, addr, addrlen = bytearray(size), bytearray(128), bytearray(struct.pack("<i", 128))
        got = self.kernel.syscall("recvfrom", self.fd, buf, size, 0, addr, addrlen)
        return bytes(buf[:got]), decode_address(bytes(addr))
