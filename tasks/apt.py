"""Debian packages the project needs, installed only when missing."""

import subprocess

from rich.console import Console

console = Console(stderr=True)

# Docker from Debian (20.10): dockerd, its containerd, the CLI the tmux -it test types into
DOCKER_PACKAGES = ["docker.io", "containerd", "tmux"]

PACKAGES = [
    # building kernels and the C parts
    "gcc", "libc6-dev", "make", "bc", "flex", "bison", "libelf-dev", "xz-utils", "binutils",
    "libmnl-dev",  # runu-netplumb's netlink
    "libseccomp-dev",  # runu-sandbox: the seccomp allow-list
    "libjansson-dev",  # the runu front end reads and writes container state (JSON)
    # running sandboxes and their peers
    "busybox-static", "iproute2", "runc", "crun", "runsc",
    "qemu-system-x86", "qemu-system-arm",  # the vm kind's emulators (x86_64 microvm, arm64 virt)
    "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross",  # arm64 guests: kernel and runu-init
    "qemu-user-static",  # arm64 images' build steps, runu's host side checked in an arm64 root
    # the network benchmark's host side
    "iperf3", "iputils-ping",
    # the conformance suite's lwIP stack (cffi harness)
    "liblwip-dev",
    "python3-dev",  # Python.h for the cffi modules built here: lkl_bindings' and the lwIP harness
    # pods over Kubernetes' CRI (tests/cri): containerd's CRI plugin with Debian's CNI plugins
    "containernetworking-plugins",
    *DOCKER_PACKAGES,
]


def missing(packages: list[str]) -> list[str]:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${db:Status-Abbrev}\n", *packages],
                         capture_output=True, text=True).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.split()[1:2] == ["ii"]}
    return [p for p in packages if p not in installed]


def ensure_packages(packages: list[str] = PACKAGES) -> None:
    need = missing(packages)
    if not need:
        return
    console.print(f"installing Debian packages: {' '.join(need)}")
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *need], check=True, env=env)
