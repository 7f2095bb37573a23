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


def kernel_dir(profile: str) -> Path:
    return ARTIFACTS / "kernels" / profile
