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


def initramfs() -> Path:
    return ARTIFACTS / "initramfs.cpio"


def kernel_subdir(profile: str, arch: str) -> str:
    """A profile's kernel for `arch`, under kernels/: UML's where they always were, a VM
    guest's under its architecture."""
    return profile if arch == "um" else f"{arch}/{profile}"


def kernel_dir(profile: str, arch: str = "um") -> Path:
    return ARTIFACTS / "kernels" / kernel_subdir(profile, arch)
