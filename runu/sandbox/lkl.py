"""Linux as a library: the container's program runs on the host kernel, as under runc (the
sandbox's namespaces, user and cgroup, chrooted in its rootfs), and its network system calls go
to a Linux kernel linked into it: librunu-lkl.so, preloaded, boots the library kernel
(kernelbuild/library.py) at the program's first socket, on the container's tap.

What stands in for a guest init is runu-lklinit (ext/): it says ready at once, waits for start,
runs the program and relays the control line's signals to it. The rootfs is the program's root
(runu-sandbox --enter): the sandbox's proc at /proc, a /dev of the sandbox's own device nodes,
and the spec's binds at their destinations. The library and runu-lklinit are bound into that
/dev, a tmpfs, so the rootfs keeps no trace of them.

A statically linked program loads nothing, so nothing can route its sockets: create refuses it.
The program runs as the sandbox's root (its user namespace's uid 0), with the capabilities that
act on the container's own files; devpts, sysfs, mqueue and cgroup mounts are left out."""

import os
from pathlib import Path

from runu.elfarch import host_arch, static_program
from runu.errors import RunuError
from runu.paths import ARTIFACTS, lkl_library_dir
from runu.sandbox import register
from runu.sandbox.base import ContainerFacts, NetworkFacts, NetworkPlan, RootBind, RootDevice, RootNeed, RootProc, \
    RootTmpfs
from runu.sandbox.linuxguest import ControlLineKind

PRELOAD = "librunu-lkl.so"
ROOTFS = "rootfs"  # the program's root, in the sandbox root
RUNU_DIR = "dev/.runu"  # in the rootfs: the library and runu-lklinit, on the /dev tmpfs
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")
# Kernel filesystems a Docker spec asks for that the program does without (see the docstring).
LEFT_OUT = ("devpts", "sysfs", "mqueue", "cgroup", "cgroup2")


def network_env(network: NetworkFacts | None) -> list[str]:
    """How librunu-lkl.so learns the container's network (its environment contract)."""
    if network is None:
        return []
    return [f"RUNU_LKL_TAP={network.tap}", f"RUNU_LKL_MAC={network.mac}", f"RUNU_LKL_MTU={network.mtu}",
            f"RUNU_LKL_ADDRESSES={','.join(network.addresses)}", f"RUNU_LKL_GATEWAYS={','.join(network.gateways)}"]


def _binds(spec: dict) -> list[RootNeed]:
    """The spec's mounts as the program's root takes them, at their destinations in the rootfs:
    binds, and tmpfs (the sandbox root's own, its options aside); /proc and /dev are prepare's."""
    binds: list[RootNeed] = []
    for mount in spec.get("mounts", []):
        dest, kind, options = mount["destination"], mount.get("type", ""), mount.get("options", [])
        if kind == "bind" or "bind" in options or "rbind" in options:
            source = mount.get("source", "")
            if not os.path.isabs(source) or not os.path.exists(source):
                raise RunuError(f"bind mount source {source!r} does not exist")
            binds.append(RootBind(source, f"{ROOTFS}{dest}", readonly="ro" in options,
                                  is_file=not os.path.isdir(source), own=True))
        elif kind == "tmpfs" and dest != "/dev":
            binds.append(RootTmpfs(f"{ROOTFS}{dest}"))
        elif not (kind in LEFT_OUT or (kind, dest) in (("proc", "/proc"), ("tmpfs", "/dev"))):
            raise RunuError(f"mount {dest}: the lkl sandbox kind mounts no {kind or 'untyped'} filesystem "
                            "(its program's /proc and /dev are the sandbox's own; binds and tmpfs go anywhere)")
    return binds


@register
class LklSandbox(ControlLineKind):
    name = "lkl"
    arches = (host_arch(),)  # the program runs on the host: nothing else runs it
    launcher_flags = ("--enter", ROOTFS)
    program_on_host = True
    named_only = True
    # The launcher and the user namespace's maker (at create), the sandbox's init, runu-lklinit,
    # the monitor.
    pids_overhead = 5

    def check_program(self, rootfs: Path, process: dict) -> None:
        if (program := static_program(rootfs, process)) is not None:
            raise RunuError(f"{process['args'][0]} ({'/' + str(program.relative_to(rootfs))}) is statically "
                            "linked: the lkl sandbox kind routes a program's sockets through the dynamic "
                            "loader (LD_PRELOAD), which it does not use")

    def prepare(self, spec: dict, facts: ContainerFacts) -> list[RootNeed]:
        library = lkl_library_dir(host_arch())
        if not (library / PRELOAD).exists():
            raise RunuError(f"the lkl sandbox kind needs Linux as a library, which is not built here "
                            f"({library / PRELOAD} is missing): `invoke lkl.build` builds it")
        user = spec["process"].get("user", {})
        if user.get("uid", 0) or user.get("gid", 0):
            raise RunuError(f"process.user {user.get('uid', 0)}:{user.get('gid', 0)}: the lkl sandbox kind "
                            "runs the container's process as its root (0:0)")
        facts.kernel = "lkl"
        needs: list[RootNeed] = [RootDevice(f"/dev/{name}", f"{ROOTFS}/dev/{name}")
                                 for name in DEVICES if os.path.exists(f"/dev/{name}")]
        needs += [RootDevice("/dev/net/tun", f"{ROOTFS}/dev/net/tun"),
                  RootBind(str(library), f"{ROOTFS}/{RUNU_DIR}/lkl", is_file=False),
                  RootBind(str(ARTIFACTS / "bin" / "runu-lklinit"), f"{ROOTFS}/{RUNU_DIR}/init"),
                  RootProc(f"{ROOTFS}/proc")]
        return needs + _binds(spec)

    def guest_network(self, plan: NetworkPlan) -> bytes:
        return b""  # the library kernel learns it from its environment (network_env)

    def launch_argv(self, spec: dict, facts: ContainerFacts) -> list[str]:
        from runu.guest import rlimit_number  # only at create: kill and delete never need it

        proc = spec["process"]
        argv = [f"/{RUNU_DIR}/init", "--cwd", proc.get("cwd", "/")]
        for limit in proc.get("rlimits", []):
            argv += ["--rlimit", str(rlimit_number(limit["type"])), str(limit["soft"]), str(limit["hard"])]
        env = [e for e in proc.get("env", []) if not e.startswith(("LD_PRELOAD=", "RUNU_LKL_"))]
        preloads = [f"/{RUNU_DIR}/lkl/{PRELOAD}"]
        preloads += [e[len("LD_PRELOAD="):] for e in proc.get("env", []) if e.startswith("LD_PRELOAD=")]
        for variable in [*env, f"LD_PRELOAD={':'.join(preloads)}", *network_env(facts.network)]:
            argv += ["--env", variable]
        return [*argv, "--", *proc["args"]]
