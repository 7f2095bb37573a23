"""runu's host side on another architecture (an aarch64 edge board's Debian), checked from this
one: the host's C helpers cross-compiled with Debian's cross gcc under the project's -Werror
flags, against that architecture's -dev packages unpacked into a sysroot; and a Debian root of
that architecture holding Python, the Debian tools the unit tests run and runu's dependencies
from their wheels for that architecture, where the programs and the unit tests run under
qemu-user-static (unikraft_build.foreign). One root serves both: it holds the -dev packages.
"""

import shutil
import subprocess
import sys
import tomllib
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console

from kernelbuild import native
from kernelbuild.cache import CACHE, build_once, digest
from unikraft_build import debian, foreign
from unikraft_build.rootfs import busybox_rootfs

PROJECT = Path(__file__).resolve().parent.parent
# What a host program links -> the Debian package with its headers and library.
DEV_PACKAGES = {"-lseccomp": "libseccomp-dev", "-lmnl": "libmnl-dev", "-ljansson": "libjansson-dev"}
# The unit tests' Debian side: Python (with its headers, for the library kernel's cffi module),
# and the GNU patch that applies the kernel patches.
TEST_PACKAGES = ["python3", "python3-dev", "patch"]
WHEEL_PLATFORMS = {"arm64": "manylinux2014_aarch64", "amd64": "manylinux2014_x86_64"}
PYTHON_VERSION = "3.11"  # bookworm's
REVISION = "1"  # bump when what goes into the root changes
console = Console(stderr=True)


class ForeignHostError(RuntimeError):
    pass


def host_programs() -> list[str]:
    """The C programs that run on the host (the guest inits are built per guest already)."""
    return [name for name in native.PROGRAMS if not name.startswith("runu-init")]


def cross_compile(arch: str, out: Path) -> list[Path]:
    """Every host program built for `arch` into `out`; a warning fails it (-Werror)."""
    triplet = native.GUEST_TRIPLETS[foreign.runu_name(arch)]
    root = debian_root(arch)
    out.mkdir(parents=True, exist_ok=True)
    built = []
    for name in host_programs():
        sources, extra, libs = native.PROGRAMS[name]
        output = out / name
        compiled = subprocess.run(
            # The root is a whole arm64 sysroot (libc6-dev comes with python3-dev): its libc.so
            # linker script names /lib/... paths that only resolve inside it.
            [f"{triplet}-gcc", *native.CFLAGS, *extra, f"--sysroot={root}", "-o", str(output),
             *(str(native.EXT / s) for s in sources), *libs], capture_output=True, text=True)
        if compiled.returncode != 0:
            raise ForeignHostError(f"{name} does not compile for {arch}:\n{compiled.stderr}")
        built.append(output)
    return built


def requirements() -> list[str]:
    """What pip installs runu with, its test extras included (pyproject.toml)."""
    project = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]
    return [*project["dependencies"], *project["optional-dependencies"]["dev"]]


def debian_packages() -> list[str]:
    """The root's Debian packages: the tests' and the -dev ones the host programs link."""
    linked = {DEV_PACKAGES[lib] for name in host_programs() for lib in native.PROGRAMS[name][2]}
    return [*TEST_PACKAGES, *sorted(linked)]


def debian_root(arch: str) -> Path:
    """A Debian root of `arch`, the host programs' sysroot and where they and the unit tests
    run: its Debian packages, and runu's dependencies installed from their wheels for `arch`
    (one lacking such a wheel fails here, as it would on the board); made once."""
    def make(tree: Path) -> None:
        busybox_rootfs(tree, arch)
        debian.install("bookworm", debian_packages(), tree, arch)
        (tree / "run").mkdir()
        with console.status(f"pip: runu's dependencies as {WHEEL_PLATFORMS[arch]} wheels"):
            subprocess.run([sys.executable, "-m", "pip", "install", "-qq", "--target",
                            str(tree / "usr/local/lib" / f"python{PYTHON_VERSION}" / "dist-packages"),
                            "--platform", WHEEL_PLATFORMS[arch], "--python-version", PYTHON_VERSION,
                            "--implementation", "cp", "--only-binary=:all:", *requirements()], check=True)

    return build_once(CACHE / "rootfs" / f"host-{arch}-{digest(REVISION, *debian_packages(), *requirements())}", make)


@contextmanager
def checkout(arch: str):
    """The root of `arch` with today's tree (its tracked files) at /src, removed after."""
    root = debian_root(arch)
    src = root / "src"
    shutil.rmtree(src, ignore_errors=True)
    tracked = subprocess.run(["git", "-C", str(PROJECT), "ls-files", "-z"], capture_output=True, check=True)
    try:
        for name in tracked.stdout.decode().split("\0"):
            if name and (PROJECT / name).is_file():
                (src / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(PROJECT / name, src / name)
        yield root
    finally:
        shutil.rmtree(src, ignore_errors=True)


def unit_tests(arch: str, *pytest_args: str) -> subprocess.CompletedProcess:
    """The unit tests of today's tree run in the root of `arch`; their output is captured."""
    with checkout(arch) as root:
        return foreign.run(root, ["/bin/sh", "-c", 'cd /src && exec python3 -m pytest -p no:cacheprovider "$@"',
                                  "sh", *pytest_args, "tests/unit"], arch, capture_output=True, text=True)
