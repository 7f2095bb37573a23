"""User-Mode Linux: the kernel is a host process; its console lines carry stdio.

Console lines (numbers and descriptors: runu.abi, from ext/runu-abi.h):
  con0 kernel messages -> the container's kernel.log
  stdout (or the terminal) and stderr, each on a line of its own,
  control: "start" and signals in, the guest's "ready" out to the monitor,
  stdin: framed input from the launcher's relay, its go-ahead back out
       (with a terminal, only the go-ahead: input comes on the terminal line),
  agent: the guest agent's frames both ways (runu exec, through the monitor's agent.sock).
Everything else is null, so nothing else reaches the caller.
"""

import os

from runu import abi
from runu.errors import RunuError
from runu.kernels import find_kernel
from runu.paths import initramfs
from runu.sandbox import register
from runu.sandbox.base import ContainerFacts, NetworkPlan, RootBind, RootDevice, RootNeed
from runu.sandbox.linuxguest import DEFAULT_PROFILE, LinuxGuest
from runu.spec import ANNOTATION_KERNEL_ARGS, ANNOTATION_PROFILE, annotation

# The host system calls of the kernel, its stub processes and the sandbox's helpers (the
# monitor aside), 89 in all. Measured with RUNU_SECCOMP_LEARN=FILE (README, "seccomp") over
# the unit, integration and conformance suites, a DNS query through the relays (connect,
# recvfrom, sendto, socket) and a guest exercising every file operation (mv, ln, ln -s, chmod,
# touch -d, mkfifo, fsync: link, mknodat, rename, symlink, utimensat...); hostfs's other
# variants of those (fchmod, fchown, fdatasync, renameat2, truncate) read from its source.
# restart_syscall: how a sleep a freeze interrupted resumes (the DNS relay's poll after `docker
# unpause`; the Docker pause test found it). pause: UML's SIGWINCH helper on a terminal (the
# console test found it). ptrace: UML probes it at boot on a child of its own. preadv: hostfs's
# readahead (kernelbuild/patches/0009).
SECCOMP_ALLOW = (
    "access", "arch_prctl", "brk", "chmod", "chown", "clone", "clone3", "close", "close_range", "connect",
    "dup2", "epoll_create", "epoll_ctl", "epoll_wait", "execve", "execveat", "exit", "exit_group", "fchmod",
    "fchown", "fcntl", "fdatasync", "fsync", "ftruncate", "futex", "getdents64", "getpgrp", "getpid", "getppid",
    "getrandom", "gettid", "ioctl", "kill", "link", "lseek", "madvise", "memfd_create", "mkdir", "mknodat",
    "mmap", "mprotect", "munmap", "newfstatat", "openat", "pause", "personality", "pipe2", "poll", "prctl",
    "pread64", "preadv", "prlimit64", "ptrace", "pwrite64", "read", "readlink", "readv", "recvfrom", "recvmsg", "rename",
    "renameat2", "restart_syscall", "rmdir", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn",
    "seccomp", "sendto", "set_robust_list", "set_tid_address", "setsid", "sigaltstack", "signalfd4", "socket",
    "socketpair", "statfs", "statx", "symlink", "tgkill", "timer_create", "timer_settime", "truncate", "uname",
    "unlink", "utimensat", "wait4", "write", "writev",
)

# The guest's vector devices: the container's interface, and the DNS side link.
GUEST_LINK, GUEST_DNS_LINK = "vec0", "vec1"


# Guest kernel parameters a container may set (org.runu.kernel.args): tuning, each checked;
# the rest of the command line is runu's contract with its guest. fault_around_anon: pages
# mapped per write fault in anonymous memory (kernelbuild/patches/0006), 1 = one at a time.
TUNABLE_KERNEL_ARGS = {"fault_around_anon": {str(1 << n) for n in range(10)}}


def tuning_args(spec: dict) -> list[str]:
    """The container's org.runu.kernel.args, checked against TUNABLE_KERNEL_ARGS."""
    args = annotation(spec, ANNOTATION_KERNEL_ARGS, "").split()
    for arg in args:
        name, _, value = arg.partition("=")
        allowed = TUNABLE_KERNEL_ARGS.get(name)
        if allowed is None:
            raise RunuError(f"{ANNOTATION_KERNEL_ARGS}: {name!r} is not a tunable kernel parameter "
                            f"(tunable: {', '.join(sorted(TUNABLE_KERNEL_ARGS))})")
        if value not in allowed:
            raise RunuError(f"{ANNOTATION_KERNEL_ARGS}: {name}={value!r}: the value must be one of "
                            f"{', '.join(sorted(allowed, key=int))}")
    return args


def _console_lines(stdio: str) -> list[str]:
    if stdio == "terminal":
        return [f"con{abi.LINE_STDOUT}=fd:0,fd:1", f"con{abi.LINE_STDIN}=null,fd:{abi.FD_STDIN_ACK}"]
    lines = [f"con{abi.LINE_STDOUT}=null,fd:1", f"con{abi.LINE_STDERR}=null,fd:2"]
    if stdio == "pipes":
        lines.append(f"con{abi.LINE_STDIN}=fd:0,fd:{abi.FD_STDIN_ACK}")
    return lines


@register
class UmlSandbox(LinuxGuest):
    name = "uml"
    is_default = True
    # UML boots reliably with a small mem= only at fixed addresses; its host system calls are
    # the allow-list below.
    launcher_flags = ("--no-aslr", "--seccomp", ",".join(SECCOMP_ALLOW))
    # Its lines read what the host wrote before the guest opened them (kernelbuild/patches/0010).
    # ext/runu-front.c's start does the same for this kind by its name.
    takes_early_start = True
    boots_before_network = True
    # Measured: a busybox guest's cgroup holds about 20 MiB beyond its mem= (kernel image and
    # data, the stub processes' page tables, the helpers); twice that leaves room for load.
    memory_overhead = 40 << 20
    # The launcher and the user namespace's maker (at create), the sandbox's init and the kernel,
    # the monitor, the DNS and stdin relays.
    pids_overhead = 7

    def prepare(self, spec: dict, facts: ContainerFacts) -> list[RootNeed]:
        tuning_args(spec)  # a bad one fails create before anything is made
        kernel = find_kernel(annotation(spec, ANNOTATION_PROFILE, DEFAULT_PROFILE))
        facts.kernel, facts.kernel_version, facts.lpj = kernel.profile, kernel.version, kernel.lpj
        binds = [
            RootBind(str(kernel.path), "kernel"),
            RootBind(str(initramfs()), "initrd"),
            RootBind("/dev/null", "dev/null", readonly=False),
            RootBind("/proc/cpuinfo", "proc/cpuinfo"),
        ]
        binds += [RootBind(lib, lib.lstrip("/")) for lib in kernel.runtime_libs]
        if os.path.exists("/dev/net/tun"):
            binds.append(RootDevice("/dev/net/tun", "dev/net/tun"))
        return binds

    def guest_devices(self, plan: NetworkPlan) -> tuple[str, str]:
        return GUEST_LINK, GUEST_DNS_LINK

    def launch_argv(self, spec: dict, facts: ContainerFacts) -> list[str]:
        argv = [
            "/kernel",
            f"mem={facts.guest_memory >> 20}M",
            "initrd=/initrd",
            "con=null",
            "ssl=null",
            f"con0=null,fd:{abi.FD_KERNEL_LOG}",
            f"con{abi.LINE_CONTROL}=fd:{abi.FD_CONTROL},fd:{abi.FD_READY}",
            f"con{abi.LINE_AGENT}=fd:{abi.FD_AGENT}",
            *_console_lines(facts.stdio),
            "uml_dir=/tmp",
            "quiet",
            # How the guest's init reaches the host: console line N is /dev/ttyN, files come by hostfs.
            "runu.lines=" + ",".join(f"/dev/tty{n}" for n in range(1, abi.LINE_COUNT + 1)),
            "runu.fs=hostfs",
            "runu.exit=/proc/exitcode",
            f"lpj={facts.lpj}",
            *tuning_args(spec),
        ]
        if int(facts.kernel_version.split(".")[0]) >= 7:
            # Seccomp-based userspace: half the cost of ptrace per guest syscall.
            argv.append("seccomp=on")
        if facts.network_later:
            from runu.netplumb import DNS_TAP, TAP  # create's alone: the other verbs never need it

            # The devices of a network that may come: their taps are made at the hand-over, and
            # the kernel opens one when its guest brings the device up, after "network" (with no
            # network, the guest sets them aside). The tap transport moves a frame per read or
            # writev (the driver's multi-frame IO is the raw and hybrid transports'; it ignores
            # `vec` for tap), with virtio-net headers: TSO and checksum offload both ways.
            # gro=1: receive buffers that take a 64 KB GSO frame.
            argv.append(f"{GUEST_LINK}:transport=tap,ifname={TAP},gro=1")
            argv.append(f"{GUEST_DNS_LINK}:transport=tap,ifname={DNS_TAP}")
            argv.append("runu.network=control")
        return argv
