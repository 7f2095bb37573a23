"""Build Linux as a library: liblinux.so, from Debian's kernel source and runu's own architecture
port (kernelbuild/lkl/arch/lkl), for the host or, cross-compiled, for arm64.

The port's files are laid over a tree of hard links to Debian's (the tree is
named by their digest, so Debian's own stays pristine). The kernel is
configured from the default profile plus kernelbuild/arches/lkl.config and
linked as one relocatable object; every symbol but the entry points is then
made local, so the kernel's memcpy or printk cannot meet the host's, and the
object is linked with the POSIX host operations (ext/lkl-host.c) into
liblinux.so. Beside it go the kernel's UAPI headers, renamed for the host
(kernelbuild/lklheaders.py), the system call numbers, the cffi module of
lkl_bindings, and librunu-lkl.so (ext/runu-lklpreload.c), the LD_PRELOAD
library that serves an unmodified program's sockets from the kernel (built
against those headers, linked to liblinux.so beside it). Cached by everything
that goes in, like the other kernels.
"""

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from kernelbuild import lklheaders, profiles
from kernelbuild.arches import ARCHES, Arch
from kernelbuild.cache import CACHE, build_once, digest
from kernelbuild.kernel import _compile, _make, configure
from kernelbuild.source import KernelSource, kernel_source, unpacked_source
from runu.elfarch import host_arch
from runu.paths import lkl_library_dir

PORT = Path(__file__).parent / "lkl"
EXT = Path(__file__).resolve().parent.parent / "ext"
HOST_SOURCES = ("lkl-host.c", "lkl-host.h")
# The LD_PRELOAD library, installed beside liblinux.so.
PRELOAD_SOURCES = ("runu-lklpreload.c", "runu-tap.c", "runu-tap.h")
PRELOAD = "librunu-lkl.so"
# The kernel's entry points: everything else in the object is made local.
EXPORTS = PORT / "arch" / "lkl" / "exports"
BINDINGS_BUILD = Path(__file__).parent / "lklbindings_build.py"
BUILDER_REVISION = "1"
PROFILE = "default"
# Debian architecture -> the GNU triplet of its cross compiler.
TRIPLETS = {"x86_64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}


@dataclass
class LibraryBuild:
    arch: str
    path: str  # liblinux.so
    version: str
    key: str
    size: int
    build_seconds: float
    enabled_options: int
    cached: bool = False


def library_dir(arch: str | None = None) -> Path:
    """Where the library of `arch` (the host's by default) is installed."""
    return lkl_library_dir(arch or host_arch())


def preload_library(arch: str | None = None) -> Path:
    """The installed LD_PRELOAD library of `arch` (ext/runu-lklpreload.c)."""
    return library_dir(arch) / PRELOAD


def _port_files() -> list[Path]:
    return sorted(p for p in PORT.rglob("*") if p.is_file())


def _fragments() -> list[Path]:
    return [profiles.fragment(PROFILE), ARCHES / "lkl.config"]


def _toolchain(arch: str) -> str:
    """The compiler prefix: none for the host's own architecture."""
    return "" if arch == host_arch() else f"{TRIPLETS[arch]}-"


def tree_key(arch: str, source: KernelSource) -> str:
    """What the compiled kernel (vmlinux) is made from: its build directory's name."""
    return digest(BUILDER_REVISION, arch, source.package_version,
                  *(part for p in _port_files() for part in (str(p.relative_to(PORT)), p.read_bytes())),
                  *(f.read_text() for f in _fragments()))


def build_key(arch: str, source: KernelSource) -> str:
    """Everything the installed library is made from: the kernel, the host operations, the
    header renaming, the bindings' build and the preload library (a change to any but the
    kernel relinks in seconds)."""
    return digest(tree_key(arch, source), *((EXT / name).read_bytes() for name in HOST_SOURCES),
                  lklheaders.REVISION, BINDINGS_BUILD.read_bytes(),
                  *((EXT / name).read_bytes() for name in PRELOAD_SOURCES))


def port_tree(source: KernelSource, status=print) -> Path:
    """Debian's tree with arch/lkl added: hard links, plus copies of the port's files."""
    port_digest = digest(*(part for p in _port_files() for part in (str(p.relative_to(PORT)), p.read_bytes())))
    tree = source.tree.with_name(f"{source.tree.name}+lkl-{port_digest}")

    def make(tmp: Path) -> None:
        status(f"linking linux-source-{source.version} with arch/lkl into {tree.name}")
        tmp.rmdir()
        subprocess.run(["cp", "-al", str(source.tree), str(tmp)], check=True)
        shutil.copytree(PORT / "arch" / "lkl", tmp / "arch" / "lkl")

    with open(tree.with_name(tree.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return build_once(tree, make)


def _arch(arch: str) -> Arch:
    return Arch("lkl", "vmlinux", "vmlinux", (), cross_compile=_toolchain(arch))


def _link(out: Path, arch: str, dest: Path) -> Path:
    """vmlinux -> lkl.o (entry points global, nothing else) -> liblinux.so with the host ops."""
    prefix = _toolchain(arch)
    obj = out / "lkl.o"
    subprocess.run([f"{prefix}objcopy", "-R", ".eh_frame", "-R", ".note.gnu.property",
                    f"--keep-global-symbols={EXPORTS}", str(out / "vmlinux"), str(obj)], check=True)
    library = dest / "liblinux.so"
    subprocess.run([f"{prefix}gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                    f"-I{PORT / 'arch/lkl/include/uapi'}", "-o", str(library), str(EXT / "lkl-host.c"),
                    str(obj), "-lpthread", "-Wl,-z,noexecstack", "-Wl,-soname,liblinux.so"], check=True)
    return library


def _link_preload(arch: str, dest: Path) -> Path:
    """librunu-lkl.so, against the renamed headers and liblinux.so already in dest; it finds
    liblinux.so beside itself ($ORIGIN)."""
    prefix = _toolchain(arch)
    preload = dest / PRELOAD
    subprocess.run([f"{prefix}gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror",
                    f"-I{dest / 'include'}", "-o", str(preload),
                    *(str(EXT / name) for name in PRELOAD_SOURCES if name.endswith(".c")),
                    f"-L{dest}", "-llinux", "-Wl,-rpath,$ORIGIN", "-ldl", "-lpthread",
                    "-Wl,-z,noexecstack", f"-Wl,-soname,{PRELOAD}"], check=True)
    return preload


def _build_tree(tree: Path, out: Path, arch: str, status) -> float:
    """Configure and compile vmlinux in `out` (once per key); the seconds it took."""
    done = out / ".runu-build-seconds"
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            started = time.monotonic()
            configure(tree, out, _fragments(), _arch(arch))
            _compile(tree, out, _arch(arch), f"library ({arch})", os.cpu_count() or 2)
            done.write_text(f"{time.monotonic() - started:.1f}")
    return float(done.read_text())


def installed_problem(arch: str, source: KernelSource | None = None) -> str | None:
    """Why the installed library of `arch` is not today's build, or None."""
    source = source or unpacked_source()
    manifest = library_dir(arch) / "lkl.json"
    if source is None:
        return "no kernel source is unpacked: the library cannot be checked or built offline"
    try:
        info = json.loads(manifest.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return f"library ({arch}): {manifest} is missing"
    if info.get("key") != build_key(arch, source):
        return f"library ({arch}): stale (built from another source, port or configuration)"
    if not Path(info["path"]).exists():
        return f"library ({arch}): {info['path']} is missing"
    if not preload_library(arch).exists():
        return f"library ({arch}): {preload_library(arch)} is missing"
    return None


def build_library(arch: str | None = None, status=print) -> LibraryBuild:
    """Build (or reuse) liblinux.so for `arch` and install it with its headers and bindings."""
    arch = arch or host_arch()
    source = kernel_source(status=status)
    dest, key = library_dir(arch), build_key(arch, source)
    if installed_problem(arch, source) is None:
        return LibraryBuild(**{**json.loads((dest / "lkl.json").read_text()), "cached": True})
    out = CACHE / "build" / f"lkl-{arch}-{tree_key(arch, source)}"
    out.mkdir(parents=True, exist_ok=True)
    seconds = _build_tree(port_tree(source, status), out, arch, status)

    staging = dest.with_name(dest.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    library = _link(out, arch, staging)
    # `make headers` leaves the UAPI headers in usr/include (headers_install would copy them
    # with rsync, which a fresh machine lacks).
    _make(port_tree(source, status), out, _arch(arch), "headers")
    lklheaders.install(out / "usr" / "include", staging / "include")
    asm = out / "usr" / "include" / "asm"
    numbers = lklheaders.syscall_numbers(asm / "unistd_64.h", asm / "unistd.h")
    (staging / "syscalls.json").write_text(json.dumps(numbers, indent=1, sort_keys=True))
    _link_preload(arch, staging)
    bindings = [sys.executable, str(BINDINGS_BUILD), str(staging)]
    if arch != host_arch():
        # The target's Python headers come from the arm64 Debian root runu's host check uses.
        from kernelbuild.foreignhost import debian_root
        bindings += ["--cross", TRIPLETS[arch], "--python-root", str(debian_root(arch))]
    subprocess.run(bindings, check=True, capture_output=True)
    config = (out / ".config").read_text()
    build = LibraryBuild(
        arch=arch, path=str(dest / library.name),
        version=(out / "include/config/kernel.release").read_text().strip(), key=key,
        size=library.stat().st_size, build_seconds=round(seconds, 1),
        enabled_options=sum(1 for line in config.splitlines() if line.endswith(("=y", "=m"))),
    )
    (staging / "lkl.json").write_text(json.dumps(asdict(build), indent=2))
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    return build
