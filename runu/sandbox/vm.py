"""A microVM: the container's kernel (runu's tailored Linux built for a VM guest) runs in QEMU,
with KVM where it really works (runu.kvm) and TCG otherwise.

The guest's channels are virtio console ports, in runu-abi.h's order after the kernel's own:
  hvc0 kernel messages -> the container's kernel.log
  hvc1..hvc5 stdout (or the terminal), stderr, control, stdin, agent (as UML's console lines)
  hvc6 the exit status, which the sandbox's init ends with
The host's files come by 9p: QEMU exports the sandbox root's guest directory (the rootfs,
/meta, the volumes; nothing of QEMU's own), which the guest's init mounts once. The network is a
virtio-net device on each tap UML's vector devices would take.

A QEMU channel takes one descriptor: a socket (`socket,fd=N`), or one of a descriptor set that
it opens by access mode (`file` write-only, `pipe` both ways). runu-sandbox --emulator makes the
control line and framed stdin sockets, and copies 0, 1, 2 above the standard numbers (QEMU takes
none of those into a set); kernel_stdio() makes stdout and stderr write-only or sockets.
"""

import fcntl
import os
import stat
from pathlib import Path

from runu import abi, kvm
from runu.elfarch import host_arch
from runu.kernels import Kernel, find_kernel
from runu.paths import initramfs
from runu.sandbox import register
from runu.sandbox.base import ContainerFacts, NetworkPlan, RootBind, RootDevice, RootNeed, RootProc
from runu.sandbox.linuxguest import CONTROL_FIFO, DEFAULT_PROFILE, LinuxGuest, control_fifo
from runu.spec import ANNOTATION_PROFILE, annotation

# QEMU's machine for a guest of each architecture: x86_64's microvm (no PCI, no firmware
# tables; its virtio-mmio devices named on the kernel's command line), arm64's virt.
MACHINES = {"x86_64": "microvm,acpi=off,rtc=off,isa-serial=off,x-option-roms=off", "arm64": "virt"}
# -no-reboot: the guest's reboot ends QEMU (runu.halt=reboot: x86's microvm cannot power off;
# reboot=t: x86 resets at once by a triple fault, PSCI needs nothing).
COMMON = ["-smp", "1", "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot"]
GUEST_ENDS = ["panic=-1", "reboot=t", "runu.halt=reboot"]
GUEST_DIR = "guest"
# QEMU's translated-code cache under TCG (MiB): its default is a quarter of host memory.
TCG_CACHE_MB = 32
# Lines as the guest's init finds them: runu-abi.h's order, numbered after the kernel's hvc0.
GUEST_LINES = ",".join(f"/dev/hvc{n}" for n in range(1, abi.LINE_COUNT + 1))
GUEST_EXIT_LINE = f"/dev/hvc{abi.LINE_COUNT + 1}"
STDIN, STDOUT, STDERR = (abi.FD_EMULATOR_STDIO + n for n in range(3))
DNS_LINK_MAC = "02:72:75:6e:75:35"  # the DNS side link's device (locally administered)


def _accel_argv(accel: str) -> list[str]:
    if accel == "kvm":
        return ["-accel", "kvm", "-cpu", "host"]
    return ["-accel", f"tcg,tb-size={TCG_CACHE_MB}", "-cpu", "max"]


def _kvm_works(kernel: Kernel) -> bool:
    """runu.kvm's probe, with this kind's machine and this kernel (of the host's architecture:
    KVM runs no other)."""
    return kernel.arch == host_arch() and kvm.usable(
        [kernel.emulator, "-M", MACHINES[kernel.arch], *_accel_argv("kvm"), "-m", "64M", *COMMON,
         "-kernel", str(kernel.path), "-initrd", str(initramfs(kernel.arch)), "-append", " ".join(["quiet", *GUEST_ENDS])])


def write_only(fd: int) -> int:
    """`fd`, or a new write-only open of what it is: QEMU's `file` channel takes write-only
    descriptors (a terminal or a file opened both ways is opened again; a socket stays)."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISSOCK(mode) or fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_ACCMODE == os.O_WRONLY:
        return fd
    return os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_CLOEXEC | (os.O_APPEND if stat.S_ISREG(mode) else 0))


def _is_socket(fd: int) -> bool:
    return stat.S_ISSOCK(os.fstat(fd).st_mode)


class _Ports:
    """QEMU's -add-fd and -chardev options for the guest's console ports, in hvc order."""

    def __init__(self):
        self.argv: list[str] = []

    def add(self, backend: str, fd_set: int | None = None) -> None:
        if fd_set is not None:
            self.argv += ["-add-fd", f"fd={fd_set},set={fd_set}"]
        name = f"hvc{self.argv.count('-chardev')}"
        self.argv += ["-chardev", f"{backend},id={name}", "-device", f"virtconsole,chardev={name}"]

    def written(self, fd: int, is_socket: bool = False) -> None:
        """A port whose output goes to `fd`."""
        if is_socket:
            self.add(f"socket,fd={fd}")
        else:
            self.add(f"file,path=/dev/fdset/{fd},append=on", fd)


def _port_argv(stdio: str, stdout_is_socket: bool, stderr_is_socket: bool) -> list[str]:
    ports = _Ports()
    ports.written(abi.FD_KERNEL_LOG)
    if stdio == "terminal":
        ports.add(f"pipe,path=/dev/fdset/{STDOUT}", STDOUT)  # both ways: typed input comes here
        ports.add("null")
    else:
        ports.written(STDOUT, stdout_is_socket)
        ports.written(STDERR, stderr_is_socket)
    ports.add(f"socket,fd={abi.FD_READY}")  # control: the monitor's socket (runu-sandbox --emulator)
    # Framed stdin with its go-ahead back on the same socket; none with a terminal or no stdin.
    ports.add(f"socket,fd={STDIN}" if stdio == "pipes" else "null")
    ports.add(f"socket,fd={abi.FD_AGENT}")
    ports.written(abi.FD_EXIT)
    return ports.argv


@register
class VmSandbox(LinuxGuest):
    name = "vm"
    guest_dir = GUEST_DIR
    arches = ("x86_64", "arm64")
    launcher_flags = ("--emulator",)
    # QEMU itself (about 40 MiB resident under TCG) and its translation cache.
    memory_overhead = (64 + TCG_CACHE_MB) << 20
    # The launcher and the user namespace's maker (at create), the sandbox's init, QEMU and its
    # threads (main, RCU, vCPU, I/O workers), the monitor, the DNS and stdin relays.
    pids_overhead = 16

    def prepare(self, spec: dict, facts: ContainerFacts) -> list[RootNeed]:
        kernel = find_kernel(annotation(spec, ANNOTATION_PROFILE, DEFAULT_PROFILE), facts.arch)
        facts.kernel, facts.kernel_version, facts.lpj = kernel.profile, kernel.version, kernel.lpj
        facts.accel = "kvm" if _kvm_works(kernel) else "tcg"
        needs = [
            # At its own path: QEMU finds its modules and firmware relative to itself.
            RootBind(kernel.emulator, kernel.emulator.lstrip("/")),
            RootBind(str(kernel.path), "kernel"),
            RootBind(str(initramfs(facts.arch)), "initrd"),
            RootProc("proc"),
        ]
        needs += [RootBind(path, path.lstrip("/")) for path in kernel.runtime_libs]
        # QEMU opens both by their usual names; the first device's tmpfs on /dev holds the second.
        if facts.accel == "kvm":
            needs.append(RootDevice(kvm.DEVICE, "dev/kvm"))
        needs.append(RootDevice("/dev/net/tun", "dev/net/tun"))
        return needs

    def guest_devices(self, plan: NetworkPlan) -> tuple[str, str]:
        """By MAC, which QEMU gives each device: virt probes virtio devices in the reverse of
        the command line's order, microvm in it."""
        return plan.mac, DNS_LINK_MAC

    def kernel_stdio(self, stdio: tuple[int, int, int]) -> tuple[int, int, int]:
        return stdio[0], write_only(stdio[1]), write_only(stdio[2])

    def channels(self, container_dir: Path) -> dict[int, int]:
        """The control fifo, and its writing end for the sandbox's init: with a terminal, it
        sends the terminal's size, which QEMU does not follow (runu-sandbox.c)."""
        fds = control_fifo(container_dir)
        return {**fds, abi.FD_CONTROL_WRITER: os.open(container_dir / CONTROL_FIFO,
                                                       os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)}

    def launch_argv(self, spec: dict, facts: ContainerFacts) -> list[str]:
        cmdline = ["console=hvc0", "quiet", *GUEST_ENDS, f"runu.lines={GUEST_LINES}", "runu.fs=9p",
                   f"runu.exit={GUEST_EXIT_LINE}", "runu.winsize=control"]
        argv = [
            find_kernel(facts.kernel, facts.arch).emulator, "-M", MACHINES[facts.arch], *_accel_argv(facts.accel),
            "-m", f"{facts.guest_memory >> 20}M", *COMMON,
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-kernel", "/kernel", "-initrd", "/initrd", "-append", " ".join(cmdline),
            "-device", "virtio-serial-device,max_ports=8",
            *_port_argv(facts.stdio, _is_socket(1), _is_socket(2)),
            "-fsdev", f"local,id=host,path=/{GUEST_DIR},security_model=none,multidevs=remap",
            "-device", "virtio-9p-device,fsdev=host,mount_tag=host",
            "-device", "virtio-rng-device",
        ]
        if facts.network is not None:
            links = ((facts.network.tap, facts.network.mac), (facts.network.dns_tap, DNS_LINK_MAC))
            for index, (tap, mac) in enumerate(links):
                argv += ["-netdev", f"tap,id=net{index},ifname={tap},script=no,downscript=no",
                         "-device", f"virtio-net-device,netdev=net{index},mac={mac}"]
        return argv

