"""Build runu's C parts from ext/: the sandbox launcher, the network hand-over, the in-guest init
(for every guest architecture: cross-compiled where it is not the host's) and the `runu`
command's front end.

Each binary is rebuilt only when its sources change. The stamp beside it
records the digest of the sources it was built from and of the binary
itself, so a check can tell a stale or replaced binary from a current one.
"""

import hashlib
import subprocess
import sys
from pathlib import Path

from kernelbuild.cache import digest
from kernelbuild.initramfs import initramfs_archive, write_initramfs
from runu.elfarch import host_arch
from runu.paths import initramfs_name

EXT = Path(__file__).resolve().parent.parent / "ext"
CFLAGS = ["-Os", "-Wall", "-Wextra", "-Werror", "-D_FORTIFY_SOURCE=2"]

INIT_SOURCES = ["runu-init.c", "runu-control.c", "runu-agent.c", "runu-frame.c", "runu-net.c", "runu-ifreq.c", "runu-tokens.c",
                "runu-stdin.c", "runu-outrelay.c", "runu-firewall.c", "runu-dnsrelay.c", "runu-rootfs.c", "runu-fail.c"]
# The guests' architectures, by the GNU triplet of their cross compilers (Debian's gcc-TRIPLET).
GUEST_TRIPLETS = {"x86_64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu"}


def init_name(arch: str) -> str:
    """The guest init's program for `arch`: plain runu-init for the host's own."""
    return "runu-init" if arch == host_arch() else f"runu-init-{arch}"


def _compiler(name: str) -> str:
    cross = {init_name(arch): f"{triplet}-gcc" for arch, triplet in GUEST_TRIPLETS.items() if arch != host_arch()}
    return cross.get(name, "gcc")


# name -> (sources, compiler flags, libraries)
PROGRAMS = {
    "runu-sandbox": (["runu-sandbox.c", "runu-stdin.c", "runu-monitor.c", "runu-event.c", "runu-agenthub.c", "runu-frame.c",
                      "runu-dnsrelay.c", "runu-privdrop.c", "runu-seccomp.c"], [], ["-lseccomp"]),
    "runu-netplumb": (["runu-netplumb.c", "runu-ifreq.c"], [], ["-lmnl"]),
    "runu-hookexec": (["runu-hookexec.c"], [], []),
    "runu": (["runu-front.c", "runu-event.c", "runu-warm.c"], [], ["-ljansson"]),
    # The lkl kind's stand-in for a guest init, run in the container's rootfs: static, as its libc is not ours.
    "runu-lklinit": (["runu-lklinit.c", "runu-control.c", "runu-tap.c"], ["-static"], []),
    **{init_name(arch): (INIT_SOURCES, ["-static"], []) for arch in GUEST_TRIPLETS},
}

# The `runu` command serves its hot verbs in C and hands the rest to the Python CLI (runu-py),
# which it finds beside itself: both live in the virtualenv's bin, not under the artifacts.
FRONT_END = "runu"
PYTHON_CLI = "runu-py"
CLI_DIR = Path(sys.prefix) / "bin"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # where the runu package is imported from


def _bin_dir(name: str, artifacts: Path, cli_dir: Path) -> Path:
    return cli_dir if name == FRONT_END else artifacts / "bin"


def source_digest(name: str) -> str:
    """What `name` is built from: its sources, every header, the flags."""
    sources, extra, libs = PROGRAMS[name]
    inputs = sorted({*sources, *(p.name for p in EXT.glob("*.h"))})
    return digest(_compiler(name), *CFLAGS, *extra, *libs, *((EXT / f).read_bytes() for f in inputs))


def _stamp(bin_dir: Path, name: str) -> Path:
    return bin_dir / f".{name}.digest"


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def build_program(name: str, bin_dir: Path) -> tuple[Path, bool]:
    """Compile `name` into bin_dir unless it is current; return its path and whether it was rebuilt."""
    output = bin_dir / name
    if program_problem(name, bin_dir) is None:
        return output, False
    sources, extra, libs = PROGRAMS[name]
    bin_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run([_compiler(name), *CFLAGS, *extra, "-o", str(output) + ".tmp", *(str(EXT / s) for s in sources), *libs],
                   check=True)
    Path(str(output) + ".tmp").replace(output)
    _stamp(bin_dir, name).write_text(f"{source_digest(name)} {_file_digest(output)}")
    return output, True


def program_problem(name: str, bin_dir: Path) -> str | None:
    """Why bin_dir/name is not the build of today's sources, or None when it is."""
    output, stamp = bin_dir / name, _stamp(bin_dir, name)
    if not output.exists():
        return f"{output} is missing"
    try:
        built_from, binary = stamp.read_text().split()
    except (FileNotFoundError, ValueError):
        return f"{output} has no build record ({stamp.name}): built by hand or by an older runu"
    if built_from != source_digest(name):
        return f"{output} is stale: ext/ changed since it was built"
    if binary != _file_digest(output):
        return f"{output} is not the binary that was built (changed since)"
    return None


def initramfs_problem(artifacts: Path, arch: str) -> str | None:
    """Why the initramfs of `arch` does not hold today's runu-init for it, or None."""
    initramfs, init = artifacts / initramfs_name(arch), artifacts / "bin" / init_name(arch)
    if not initramfs.exists():
        return f"{initramfs} is missing"
    if not init.exists() or initramfs.read_bytes() != initramfs_archive(init):
        return f"{initramfs} does not hold the current {init.name}"
    return None


def native_problems(artifacts: Path, cli_dir: Path = CLI_DIR) -> list[str]:
    """Everything wrong with the C parts and the initramfs under `artifacts`, and the front end."""
    found = [program_problem(name, _bin_dir(name, artifacts, cli_dir)) for name in PROGRAMS]
    found.append(python_cli_problem(cli_dir))
    found += [initramfs_problem(artifacts, arch) for arch in GUEST_TRIPLETS]
    return [p for p in found if p]


def python_cli_text() -> str:
    """runu-py, started without `site` (-S): site's scan of the virtualenv (its .pth files, one
    of which imports a module) costs every call a few ms, and runu's commands need only the
    standard library and the runu package, whose directory goes first on the path. A module
    changed since setup compiled it is compiled again on every call unless its bytecode is
    written (7 ms per create for runu/container.py), whatever PYTHONDONTWRITEBYTECODE says."""
    return (f"#!{CLI_DIR / 'python3'} -S\n"
            "# runu's Python CLI (written by kernelbuild/native.py), which the `runu` front end runs.\n"
            "import sys\n"
            "sys.dont_write_bytecode = False\n"
            f"sys.path.insert(0, {str(PACKAGE_ROOT)!r})\n"
            "from runu.cli import run\n"
            "run()\n")


def python_cli_problem(cli_dir: Path) -> str | None:
    path = cli_dir / PYTHON_CLI
    if not path.exists():
        return f"{path} is missing"
    if path.read_text() != python_cli_text():
        return f"{path} is not the one setup writes (written by pip or an older runu?)"
    return None


def build_native(artifacts: Path, cli_dir: Path = CLI_DIR) -> list[str]:
    """Build every C program and the initramfs, and write the Python CLI; return what was
    rebuilt."""
    rebuilt = []
    if python_cli_problem(cli_dir):
        (cli_dir / PYTHON_CLI).write_text(python_cli_text())
        (cli_dir / PYTHON_CLI).chmod(0o755)
        rebuilt.append(PYTHON_CLI)
    for name in PROGRAMS:
        path, fresh = build_program(name, _bin_dir(name, artifacts, cli_dir))
        if fresh:
            rebuilt.append(name)
    for arch in GUEST_TRIPLETS:
        if initramfs_problem(artifacts, arch):
            write_initramfs(artifacts / "bin" / init_name(arch), artifacts / initramfs_name(arch))
            rebuilt.append(initramfs_name(arch))
    return rebuilt
