"""Unikraft images (kraftkit's layout): the rootfs holds /unikraft/bin/kernel (and maybe
/unikraft/bin/initrd), a unikernel that QEMU boots directly, with no Linux guest.

Its contract (Unikraft's kvm platform on x86): library parameters, then `--`, then the
application's arguments on the kernel command line (process.args after the kernel's path);
the container's IPv4 address, gateway and DNS server as `netdev.ip=CIDR:GW:DNS`; the serial
port is the container's stdout; the unikernel's status leaves through an isa-debug-exit
device, which ends QEMU with (status << 1) | 1 (runu-sandbox --debug-exit takes it back).

QEMU is the x86_64 vm kind's (its kernel manifest records it and what it loads) on the `pc`
machine Unikraft's kvm platform targets, paused (-S) until start, which resumes it through
QMP: the monitor relays the control fifo into QEMU's QMP socket (runu-sandbox --emulator).
A unikernel has no processes to signal: SIGKILL ends the sandbox (137); TERM, INT, HUP and
QUIT go to the sandbox's init, which has QEMU quit and ends the container with 128+N, as a
process that does not handle them ends.
"""

import json
import signal
from pathlib import Path

from runu import abi
from runu.errors import RunuError
from runu.kernels import find_kernel
from runu.sandbox import register
from runu.sandbox.base import ContainerFacts, NetworkPlan, RootBind, RootDevice, RootNeed, RootProc, SandboxKind
from runu.sandbox.linuxguest import DEFAULT_MEMORY_MB, control_fifo, control_line
from runu.sandbox.vm import STDOUT, TCG_CACHE_MB, write_only

KERNEL, INITRD = "unikraft/bin/kernel", "unikraft/bin/initrd"
DEBUG_EXIT = "isa-debug-exit,iobase=0xf4,iosize=0x04"
# What the pc machine loads besides what the vm kind's QEMU does: SeaBIOS and the option ROMs
# that boot a multiboot kernel.
PC_FIRMWARE = ("/usr/share/seabios/bios-256k.bin", "/usr/share/qemu/multiboot_dma.bin",
               "/usr/share/qemu/kvmvapic.bin")
NETWORK_FILE = "unikraft-network.json"


def _qmp(*commands: str) -> bytes:
    return b"".join(json.dumps({"execute": c}).encode() + b"\n" for c in ("qmp_capabilities", *commands))


def _resolver(spec: dict) -> str:
    """The first nameserver of the container's /etc/resolv.conf (Docker binds one), if any."""
    for mount in spec.get("mounts", []):
        if mount.get("destination") == "/etc/resolv.conf":
            try:
                lines = Path(mount["source"]).read_text().splitlines()
            except OSError:
                return ""
            return next((line.split()[1] for line in lines if line.startswith("nameserver ") and
                         len(line.split()) > 1), "")
    return ""


@register
class UnikraftSandbox(SandboxKind):
    name = "unikraft"
    arches = ("x86_64",)
    launcher_flags = ("--emulator", "--debug-exit")
    init_signals = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT})
    memory_overhead = (64 + TCG_CACHE_MB) << 20
    pids_overhead = 16

    @staticmethod
    def claims(rootfs: Path) -> bool:
        return (rootfs / KERNEL).is_file()

    def guest_memory(self, spec: dict) -> int:
        limit = spec.get("linux", {}).get("resources", {}).get("memory", {}).get("limit")
        return limit if limit and limit > 0 else DEFAULT_MEMORY_MB << 20

    def prepare(self, spec: dict, facts: ContainerFacts) -> list[RootNeed]:
        if facts.stdio == "terminal":
            raise RunuError("a Unikraft image has a serial console, not a terminal: run it without -t")
        emulator = find_kernel("default", "x86_64")
        facts.kernel, facts.accel = "unikraft", "tcg"
        needs = [RootBind(emulator.emulator, emulator.emulator.lstrip("/")), RootProc("proc")]
        needs += [RootBind(path, path.lstrip("/")) for path in (*emulator.runtime_libs, *PC_FIRMWARE)]
        needs.append(RootDevice("/dev/net/tun", "dev/net/tun"))
        return needs

    def kernel_stdio(self, stdio: tuple[int, int, int]) -> tuple[int, int, int]:
        return stdio[0], write_only(stdio[1]), stdio[2]

    def channels(self, container_dir: Path) -> dict[int, int]:
        return control_fifo(container_dir)

    def guest_network(self, plan: NetworkPlan) -> bytes:
        return b""  # Unikraft reads no /meta: its address goes on the command line (facts.network)

    def launch_argv(self, spec: dict, facts: ContainerFacts) -> list[str]:
        args = spec["process"]["args"][1:]
        library_params = []
        argv = [
            find_kernel("default", "x86_64").emulator, "-M", "pc", "-accel", f"tcg,tb-size={TCG_CACHE_MB}",
            "-m", f"{facts.guest_memory >> 20}M", "-smp", "1", "-nodefaults", "-no-user-config",
            "-display", "none", "-vga", "none", "-no-reboot", "-S",
            "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny",
            "-kernel", f"/rootfs/{KERNEL}",
            "-add-fd", f"fd={STDOUT},set={STDOUT}",
            "-chardev", f"file,id=serial,path=/dev/fdset/{STDOUT},append=on", "-serial", "chardev:serial",
            "-device", DEBUG_EXIT,
            "-chardev", f"socket,id=qmp,fd={abi.FD_READY}", "-mon", "chardev=qmp,mode=control",
        ]
        if facts.network is not None:
            if facts.network.ipv4:
                fields = [facts.network.ipv4, facts.network.gateway4, _resolver(spec)]
                library_params.append("netdev.ip=" + ":".join(fields).rstrip(":"))
            argv += ["-netdev", f"tap,id=net0,ifname={facts.network.tap},script=no,downscript=no",
                     "-device", f"virtio-net-pci,netdev=net0,mac={facts.network.mac},romfile="]
        argv += ["-append", " ".join([*library_params, "--", *args])]
        return argv

    def release(self, container_dir: Path, is_running, networked: bool) -> None:
        # QEMU that failed at create (its message is on the container's stderr) is a process
        # that exited at once: start succeeds, and the status says so.
        if is_running():
            control_line(container_dir, _qmp("cont"))

    def signal(self, container_dir: Path, is_running, signum: int, all_processes: bool) -> None:
        raise RunuError(f"a unikernel has no processes to take signal {signum}: "
                        "only SIGKILL, SIGTERM, SIGINT, SIGHUP and SIGQUIT end it")
