"""What every kind whose guest is runu's own Linux (ext/runu-init.c) shares, whatever runs the
kernel: the guest's memory from the spec, the control line (`start` and signals in, `ready`
out, through a fifo the kernel reads), and the network description its init takes over."""

import errno
import os
import time
from pathlib import Path

from runu import abi
from runu.errors import RunuError
from runu.sandbox.base import NetworkPlan, SandboxKind
from runu.spec import ANNOTATION_PROFILE

DEFAULT_PROFILE = "default"
DEFAULT_MEMORY_MB = 256
MIN_MEMORY_MB = 32
GUEST_READY_SECONDS = 30
CONTROL_FIFO = "control.fifo"


def _backable_mb() -> int:
    """The most guest memory this host can back: half its memory (UML keeps guest memory in a
    file on the sandbox's /tmp, a tmpfs, which holds at most that)."""
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])  # MemTotal comes first
    return total_kb // 2 // 1024


def memory_mb(spec: dict) -> int:
    """The guest's memory from linux.resources.memory.limit (0 or -1: no limit, the default)."""
    limit = spec.get("linux", {}).get("resources", {}).get("memory", {}).get("limit")
    if not limit or limit < 0:
        return DEFAULT_MEMORY_MB
    field = "linux.resources.memory.limit"
    if limit < MIN_MEMORY_MB << 20:
        raise RunuError(f"{field}: {limit} is less than the {MIN_MEMORY_MB} MiB ({MIN_MEMORY_MB << 20} bytes) "
                        "a runu guest needs to boot")
    if limit >> 20 > (most := _backable_mb()):
        raise RunuError(f"{field}: {limit >> 20} MiB is more than this host can back as guest memory "
                        f"(at most {most} MiB, half its memory)")
    return limit >> 20


class ControlLineKind(SandboxKind):
    """A kind whose guest's init (runu-init, or the lkl kind's stand-in) takes `start` and
    signals on the control line, once it has said ready."""

    # Whether the guest takes a line the host wrote before its init listened (the UML kernel
    # reads a line's pending input when the line is opened): then start of a container without
    # a network need not wait for the guest's boot, as runc's returns without waiting for the
    # process to run. One with a network waits: its address answers from the moment start
    # returns, as a runc container's does (a SYN the booting guest missed is retried a second
    # later).
    takes_early_start = False

    def channels(self, container_dir: Path) -> dict[int, int]:
        return control_fifo(container_dir)

    def release(self, container_dir: Path, is_running, networked: bool) -> None:
        # A guest that ended during its setup (a sysctl it has not, a mount that failed) is a
        # process that exited at once: start succeeds, and its status and stderr say why.
        early = self.takes_early_start and not networked
        if not (is_running() if early else wait_guest_ready(container_dir, is_running)):
            return
        try:
            control_line(container_dir, abi.CONTROL_START.encode() + b"\n")
        except RunuError:
            if is_running():
                raise

    def signal(self, container_dir: Path, is_running, signum: int, all_processes: bool) -> None:
        if not wait_guest_ready(container_dir, is_running):
            raise RunuError("container not running")
        control_line(container_dir, f"{'a' if all_processes else ''}{signum}\n".encode())


class LinuxGuest(ControlLineKind):
    """A kind whose guest runs runu-init; subclasses say how the kernel runs and how the guest
    finds its network devices (guest_devices)."""

    has_agent = True

    def guest_memory(self, spec: dict) -> int:
        return memory_mb(spec) << 20

    def guest_devices(self, plan: NetworkPlan) -> tuple[str, str]:
        """The guest's devices for the container's interface and the DNS side link, as its
        init finds them (runu-net.c: a name, or a MAC)."""
        raise NotImplementedError

    def guest_network(self, plan: NetworkPlan) -> bytes:
        """The guest's device takes eth0's name, MAC, addresses and routes; a second one is the
        DNS side link."""
        from runu.guest import GuestDescription  # only at create: kill and start never need it

        link, dns_link = self.guest_devices(plan)
        desc = GuestDescription()
        desc.record("link", link, plan.name, plan.mac, plan.mtu)
        for family, addr, prefix in plan.addresses:
            desc.record("addr", family, addr, prefix)
        for family, gateway in plan.gateways:
            desc.record("route", family, gateway)
        desc.record("dns", dns_link, plan.dns_guest, 30, plan.dns_relay)
        return desc.encode()

    def features(self) -> dict[str, str]:
        return {ANNOTATION_PROFILE: DEFAULT_PROFILE}


def control_fifo(container_dir: Path) -> dict[int, int]:
    """The control line reads a fifo that `release` and `signal` write into."""
    os.mkfifo(container_dir / CONTROL_FIFO, 0o600)
    return {abi.FD_CONTROL: os.open(container_dir / CONTROL_FIFO, os.O_RDWR | os.O_CLOEXEC)}


def control_line(container_dir: Path, line: bytes) -> None:
    """One line to the guest's init (format: ext/runu-init.c), which listens."""
    try:
        fd = os.open(container_dir / CONTROL_FIFO, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        if e.errno in (errno.ENOENT, errno.ENXIO):  # gone, or no reader left: the sandbox ended
            raise RunuError("container not running") from None
        raise
    try:
        os.write(fd, line)
    finally:
        os.close(fd)


def wait_guest_ready(container_dir: Path, is_running) -> bool:
    """True once the guest's init listens (it says "ready"), False if the sandbox ended first:
    a kernel may read a host fd only after a SIGIO, and a write made earlier raises none."""
    ready = container_dir / "ready"
    deadline = time.monotonic() + GUEST_READY_SECONDS
    while b"ready" not in _read_or_empty(ready):
        if not is_running():
            return False
        if time.monotonic() > deadline:
            raise RunuError("the guest did not become ready")
        time.sleep(0.002)
    return True


def _read_or_empty(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""  # deleted meanwhile: the liveness check says so

