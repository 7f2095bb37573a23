"""The library kernel: boot, system calls, files, sysctl, and the network's entry points."""

import os
import struct
from pathlib import PurePosixPath

from lkl_bindings import native
from lkl_bindings.constants import O_CLOEXEC, O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY
from lkl_bindings.errors import KernelError, check

AT_FDCWD = -100
LOOPBACK_INDEX = 1
_UTSNAME_FIELD = 65
_DIRENT_HEAD = struct.Struct("<QqHB")  # d_ino, d_off, d_reclen, d_type; d_name follows


class Kernel:
    """A Linux kernel in this process. Boots on enter (with /proc, /sys and lo up, as an init
    would leave them), halts on exit.

    memory_mb is the kernel's whole RAM (one host allocation); cmdline is its
    command line. A process boots at most one kernel, once (its state is the
    library's static data)."""

    _booted = False

    def __init__(self, memory_mb: int = 64, cmdline: str = "", quiet: bool = True):
        self.memory_mb = memory_mb
        # quiet: no kernel log on stderr (it stays in the kernel's buffer; a panic still says why).
        self.cmdline = f"loglevel=0 {cmdline}".strip() if quiet else cmdline
        self._running = False
        self._ffi, self._lib = native.module().ffi, native.module().lib
        self._numbers = native.syscall_numbers()

    def __enter__(self) -> "Kernel":
        self.boot()
        return self

    def __exit__(self, *exc) -> None:
        if self._running:
            self.halt()

    def boot(self) -> None:
        if Kernel._booted:
            raise KernelError("a process boots one library kernel, once: this one already did")
        Kernel._booted = True
        result = self._lib.lkl_posix_start(self.memory_mb << 20, self.cmdline.encode())
        if result < 0:
            raise KernelError(f"the library kernel did not boot: {os.strerror(-result)}")
        self._running = True
        self.mkdir("/proc")
        self.mount("proc", "/proc", "proc")
        self.mkdir("/sys")
        self.mount("sysfs", "/sys", "sysfs")
        from lkl_bindings.net import Interface
        Interface(self, LOOPBACK_INDEX, -1).up()

    def halt(self) -> None:
        self._require_running()
        check(self._lib.lkl_halt(), "halt")
        self._running = False

    def _require_running(self) -> None:
        if not self._running:
            raise KernelError("the library kernel is not running (never booted, or halted)")

    # -- system calls ---------------------------------------------------------------------------

    def syscall(self, name: str, *args) -> int:
        """Call `name` (asm-generic numbering) with up to six arguments: ints, bytes (passed as a
        pointer to a copy), writable buffers (bytearray, memoryview: the kernel writes into
        them) or None (NULL). Returns the result; a kernel error raises OSError."""
        self._require_running()
        try:
            number = self._numbers[name]
        except KeyError:
            raise KernelError(f"the library kernel has no system call named {name!r}") from None
        if len(args) > 6:
            raise KernelError(f"{name}: a system call takes at most six arguments, not {len(args)}")
        keep, params = [], self._ffi.new("long[6]")
        for i, arg in enumerate(args):
            params[i] = self._argument(arg, keep)
        return check(self._lib.lkl_syscall(number, params), name)

    def _argument(self, arg, keep: list) -> int:
        ffi = self._ffi
        if arg is None:
            return 0
        if isinstance(arg, bool | int):
            return int(arg)
        if isinstance(arg, str):
            arg = os.fsencode(arg) + b"\0"
        if isinstance(arg, bytes):
            buf = ffi.new("char[]", arg)
        else:
            buf = ffi.from_buffer(arg, require_writable=True)
        keep.append(buf)
        return int(ffi.cast("long", buf))

    # -- identity and files ---------------------------------------------------------------------

    def uname(self) -> list[str]:
        buf = bytearray(_UTSNAME_FIELD * 6)
        self.syscall("uname", buf)
        fields = (buf[i * _UTSNAME_FIELD:(i + 1) * _UTSNAME_FIELD] for i in range(6))
        return [bytes(f).split(b"\0", 1)[0].decode() for f in fields]

    def release(self) -> str:
        """What `uname -r` prints in this kernel."""
        return self.uname()[2]

    def open(self, path: str, flags: int = O_RDONLY, mode: int = 0o644) -> int:
        return self.syscall("openat", AT_FDCWD, path, flags | O_CLOEXEC, mode)

    def close(self, fd: int) -> None:
        self.syscall("close", fd)

    def read(self, fd: int, size: int) -> bytes:
        buf = bytearray(size)
        return bytes(buf[:self.syscall("read", fd, buf, size)])

    def write(self, fd: int, data: bytes) -> int:
        return self.syscall("write", fd, bytes(data), len(data))

    def mkdir(self, path: str, mode: int = 0o755, exist_ok: bool = True) -> None:
        try:
            self.syscall("mkdirat", AT_FDCWD, path, mode)
        except FileExistsError:
            if not exist_ok:
                raise

    def listdir(self, path: str) -> list[str]:
        fd = self.open(path, O_RDONLY | O_DIRECTORY)
        names, buf = [], bytearray(8192)
        try:
            while (got := self.syscall("getdents64", fd, buf, len(buf))) > 0:
                offset = 0
                while offset < got:
                    _, _, reclen, _ = _DIRENT_HEAD.unpack_from(buf, offset)
                    name = bytes(buf[offset + _DIRENT_HEAD.size:offset + reclen]).split(b"\0", 1)[0]
                    if name not in (b".", b".."):
                        names.append(os.fsdecode(name))
                    offset += reclen
        finally:
            self.close(fd)
        return sorted(names)

    def read_file(self, path: str) -> bytes:
        fd, chunks = self.open(path), []
        try:
            while chunk := self.read(fd, 65536):
                chunks.append(chunk)
        finally:
            self.close(fd)
        return b"".join(chunks)

    def write_file(self, path: str, data: bytes) -> None:
        fd = self.open(path, O_WRONLY | O_CREAT | O_TRUNC)
        try:
            self.write(fd, data)
        finally:
            self.close(fd)

    def mount(self, source: str, target: str, fstype: str, flags: int = 0, data: str | None = None) -> None:
        self.syscall("mount", source, target, fstype, flags, data)

    def sysctl(self, name: str, value: str | int | None = None) -> str:
        """Read (and with value, first write) net.ipv4.ip_forward-style settings via /proc/sys."""
        path = str(PurePosixPath("/proc/sys") / name.replace(".", "/"))
        if value is not None:
            self.write_file(path, f"{value}\n".encode())
        return self.read_file(path).decode().strip()

    # -- network --------------------------------------------------------------------------------

    def socket(self, family: int, type: int, proto: int = 0):
        from lkl_bindings.sockets import Socket
        return Socket(self, self.syscall("socket", family, type | O_CLOEXEC, proto))

    def add_tap(self, name: str, mac: str | None = None):
        """The host tap `name` (in this process's network namespace; made if missing) as an
        interface of this kernel, down and without addresses; mac by default is random."""
        from lkl_bindings.net import add_tap
        return add_tap(self, name, mac)

    def add_route(self, destination: str, gateway: str) -> None:
        """A route to destination (a CIDR, or 'default') via gateway, IPv4 or IPv6."""
        from lkl_bindings.net import add_route
        add_route(self, destination, gateway)
