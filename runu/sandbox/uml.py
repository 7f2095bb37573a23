"""User-Mode Linux: the kernel is a host process; its console lines carry stdio.

Console lines (numbers and descriptors: runu.abi, from ext/runu-abi.h):
  con0 kernel messages -> the container's kernel.log
  stdout (or the terminal) and stderr, each on a line of its own,
  control: signals in, the guest's "ready" out to the monitor,
  stdin: framed input from the launcher's relay, its go-ahead back out
       (with a terminal, only the go-ahead: input comes on the terminal line).
Everything else is null, so nothing else reaches the caller.
"""

import os

from runu import abi
from runu.errors import RunuError
from runu.kernels import find_kernel
from runu.paths import initramfs
from runu.sandbox.base import RootBind, SandboxKernel
from runu.spec import ANNOTATION_PROFILE, annotation

DEFAULT_MEMORY_MB = 256
MIN_MEMORY_MB = 32


def _backable_mb() -> int:
    """The most guest memory this host can back: UML keeps it in a file on the sandbox's /tmp,
    a tmpfs, which holds at most half the host's memory."""
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])  # MemTotal comes first
    return total_kb // 2 // 1024


def memory_mb(spec: dict) -> int:
    """The guest's mem= from linux.resources.memory.limit (0 or -1: no limit, the default)."""
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


def _console_lines(stdio: str) -> list[str]:
    if stdio == "terminal":
        return [f"con{abi.LINE_STDOUT}=fd:0,fd:1", f"con{abi.LINE_STDIN}=null,fd:{abi.FD_STDIN_ACK}"]
    lines = [f"con{abi.LINE_STDOUT}=null,fd:1", f"con{abi.LINE_STDERR}=null,fd:2"]
    if stdio == "pipes":
        lines.append(f"con{abi.LINE_STDIN}=fd:0,fd:{abi.FD_STDIN_ACK}")
    return lines


class UmlSandbox(SandboxKernel):
    name = "uml"

    def prepare(self, spec: dict, runtime: dict) -> list[RootBind]:
        memory_mb(spec)  # a limit the guest cannot take fails create, before anything is made
        kernel = find_kernel(annotation(spec, ANNOTATION_PROFILE, "default"))
        runtime.update(kernel=kernel.profile, kernel_version=kernel.version, lpj=kernel.lpj)
        binds = [
            RootBind(str(kernel.path), "kernel"),
            RootBind(str(initramfs()), "initrd"),
            RootBind("/dev/null", "dev/null", readonly=False),
            RootBind("/proc/cpuinfo", "proc/cpuinfo"),
        ]
        binds += [RootBind(lib, lib.lstrip("/")) for lib in kernel.runtime_libs]
        if os.path.exists("/dev/net/tun"):
            binds.append(RootBind("/dev/net/tun", "dev/net/tun", readonly=False))
        return binds

    def launch_argv(self, spec: dict, runtime: dict) -> list[str]:
        argv = [
            "/kernel",
            f"mem={memory_mb(spec)}M",
            "initrd=/initrd",
            "con=null",
            "ssl=null",
            f"con0=null,fd:{abi.FD_KERNEL_LOG}",
            f"con{abi.LINE_CONTROL}=fd:{abi.FD_CONTROL},fd:{abi.FD_READY}",
            *_console_lines(runtime["stdio"]),
            "uml_dir=/tmp",
            "quiet",
            f"lpj={runtime['lpj']}",
        ]
        if int(runtime["kernel_version"].split(".")[0]) >= 7:
            # Seccomp-based userspace: half the cost of ptrace per guest syscall.
            argv.append("seccomp=on")
        network = runtime.get("network")
        if network is not None:
            # vec=0: a frame at a time. With multi-frame IO about 1 frame in 300 of the
            # conformance suite's was lost (a case got no reply even after 4 s); none in 1568
            # cases without it.
            argv.append(f"vec0:transport=tap,ifname={network['tap']},depth=64,gro=1,vec=0")
            argv.append(f"vec1:transport=tap,ifname={network['dns_tap']}")
        return argv
