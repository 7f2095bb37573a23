"""Where runu keeps its state and finds its built artifacts."""

import os
from pathlib import Path

DEFAULT_ROOT = Path("/run/runu")
# Built artifacts (kernels, the sandbox launcher, the initramfs) live here;
# RUNU_HOME moves them, which the tests and the builder use.
ARTIFACTS = Path(os.environ.get("RUNU_HOME", "/var/lib/runu"))


def sandbox_launcher() -> Path:
    return ARTIFACTS / "bin" / "runu-sandbox"


def netplumb() -> Path:
    return ARTIFACTS / "bin" / "runu-netplumb"


def hook_exec() -> Path:
    return ARTIFACTS / "bin" / "runu-hookexec"


def initramfs_name(arch: str) -> str:
    """The initramfs holding runu-init built for `arch`: plain for the host's own."""
    from runu.elfarch import host_arch

    return "initramfs.cpio" if arch == host_arch() else f"initramfs-{arch}.cpio"


def initramfs(arch: str | None = None) -> Path:
    """The initramfs of guests of `arch` (the host's architecture if None)."""
    return ARTIFACTS / ("initramfs.cpio" if arch is None else initramfs_name(arch))


def kernel_subdir(profile: str, arch: str) -> str:
    """A profile's kernel for `arch`, under kernels/: UML's where they always were, a VM
    guest's under its architecture."""
    return profile if arch == "um" else f"{arch}/{profile}"


def kernel_dir(profile: str, arch: str = "um") -> Path:
    return ARTIFACTS / "kernels" / kernel_subdir(profile, arch)


def lkl_library_dir(arch: str) -> Path:
    """Linux as a library built for `arch` (kernelbuild/library.py): liblinux.so and the
    preload library that routes a program's sockets into it."""
    return ARTIFACTS / "lkl" / arch
