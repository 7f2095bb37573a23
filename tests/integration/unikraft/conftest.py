"""The tests' unikernel (kernel.c here: runu's own, following Unikraft's boot contract; not
Unikraft), built with the host's compiler, and packaged by unikraft_build as an image."""

import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def build_test_kernel(out: Path) -> Path:
    """kernel.c and boot.S as a 32-bit multiboot program in an ELF64 container, as Unikraft's
    x86_64 kernels are (their 32-bit entry, the header's load addresses)."""
    cflags = ["-m32", "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-nostdlib", "-Os", "-Wall", "-Werror"]
    objects = []
    for source in ("boot.S", "kernel.c"):
        obj = out / f"{source}.o"
        subprocess.run(["gcc", *cflags, "-c", str(HERE / source), "-o", str(obj)], check=True)
        objects.append(str(obj))
    linked = out / "kernel32"
    subprocess.run(["ld", "-m", "elf_i386", "--no-warn-rwx-segments", "-T", str(HERE / "link.ld"), "-o", str(linked), *objects], check=True)
    kernel = out / "kernel"
    subprocess.run(["objcopy", "-O", "elf64-x86-64", str(linked), str(kernel)], check=True)
    return kernel


@pytest.fixture(scope="session")
def test_unikernel(tmp_path_factory) -> Path:
    return build_test_kernel(tmp_path_factory.mktemp("unikernel"))
