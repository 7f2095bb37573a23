"""Build a profile's tailored kernel for an architecture (kernelbuild.arches), out of tree, cached.

The cache key is the source version, runu's kernel patches, the profile's
fragment and the architecture's: an unchanged profile is a cache hit that costs
a file read. The result is installed where runu looks kernels up
(runu.paths.kernel_dir) with a kernel.json manifest: version, config hash, the
patches, and what the sandbox root must hold to run it: for UML the host
libraries the dynamically linked kernel loads (and its calibrated lpj), for a
VM guest its emulator with that one's libraries, firmware and modules.
"""

import fcntl
import json
import re
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kernelbuild import profiles
from kernelbuild.arches import Arch
from kernelbuild.cache import CACHE, digest
from kernelbuild.source import KernelSource, kernel_source, patched_tree, patches, patches_digest

# Bump when the way a kernel is built changes, to invalidate old builds.
BUILDER_REVISION = "2"
# Bump when what the manifest records changes: reinstalls without recompiling.
MANIFEST_REVISION = 4
ESTIMATED_OBJECTS = 800
console = Console(stderr=True)


@dataclass
class KernelBuild:
    profile: str
    arch: str
    path: str
    version: str
    config_hash: str
    lpj: int
    runtime_libs: list[str]
    size: int
    build_seconds: float
    enabled_options: int
    # kernelbuild/patches/ applied to the source, in order
    patches: list[str]
    emulator: str = ""  # a VM guest's: the sandbox runs this, with the kernel as its -kernel
    manifest_revision: int = MANIFEST_REVISION
    cached: bool = False


def _status(msg: str) -> None:
    console.print(f"[dim]{msg}[/dim]")


def _make_argv(tree: Path, out: Path, arch: Arch) -> list[str]:
    argv = ["make", "-C", str(tree), f"O={out}", f"ARCH={arch.name}"]
    return argv + [f"CROSS_COMPILE={arch.cross_compile}"] if arch.cross_compile else argv


def _make(tree: Path, out: Path, arch: Arch, *targets: str) -> subprocess.CompletedProcess:
    return subprocess.run([*_make_argv(tree, out, arch), *targets], capture_output=True, text=True, check=True)


def configure(tree: Path, out: Path, fragments: list[Path], arch: Arch) -> None:
    """tinyconfig, then the fragments, then olddefconfig; every fragment line must hold."""
    _make(tree, out, arch, "tinyconfig")
    subprocess.run([str(tree / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(out),
                    str(out / ".config"), *map(str, fragments)], capture_output=True, check=True, cwd=tree)
    _make(tree, out, arch, "olddefconfig")
    config = (out / ".config").read_text()
    wanted = {}  # option -> (fragment, line): a later fragment's setting overrides an earlier one's
    for fragment in fragments:
        for line in fragment.read_text().splitlines():
            if (found := re.match(r"^(CONFIG_\w+)=", line)):
                wanted[found.group(1)] = (fragment, line)
    for fragment, line in wanted.values():
        if line.endswith("=y") and line not in config:
            raise RuntimeError(f"{fragment.name}: {line} did not survive olddefconfig for {arch.name}")


def _compile(tree: Path, out: Path, arch: Arch, label: str, jobs: int) -> None:
    """make linux with a progress bar fed by make's own CC/LD lines."""
    seen = out / ".runu-objects"
    total = int(seen.read_text()) if seen.exists() else ESTIMATED_OBJECTS
    proc = subprocess.Popen([*_make_argv(tree, out, arch), f"-j{jobs}", arch.make_target],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done, tail = 0, []
    with Progress(TextColumn(f"kernel {label}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=False) as bar:
        task = bar.add_task("build", total=total)
        for line in proc.stdout:
            tail = (tail + [line])[-30:]
            if line.lstrip().startswith(("CC ", "AS ", "LD ", "AR ")):
                done += 1
                total = max(total, done)
                bar.update(task, completed=done, total=total)
                if not console.is_terminal and done % max(total // 10, 1) == 0:
                    # A log has no live bar: a line every tenth instead.
                    console.print(f"kernel {label}: {done}/{total} objects")
        bar.update(task, completed=total)
    if proc.wait() != 0:
        raise RuntimeError(f"kernel build failed:\n{''.join(tail)}")
    seen.write_text(str(done))


def _is_elf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"\x7fELF"


def runtime_libs(program: Path) -> list[str]:
    """Host libraries the program (UML's kernel, a VM's emulator) loads: the sandbox root must
    expose exactly these.

    Besides what ldd lists, glibc loads libgcc_s when a thread is cancelled,
    which UML does to its helper threads at power-off."""
    out = subprocess.run(["ldd", str(program)], capture_output=True, text=True, check=True).stdout
    libs = []
    for line in out.splitlines():
        path = line.split("=>")[-1].split("(")[0].strip()
        if path.startswith("/"):
            libs.append(path)
            if Path(path).name.startswith("libc.so"):
                libgcc = Path(path).parent / "libgcc_s.so.1"
                if libgcc.exists():
                    libs.append(str(libgcc))
    return libs


def calibrate_lpj(kernel: Path, initramfs: Path) -> int:
    """Boot once without lpj= and keep the delay-loop result: later boots skip calibration."""
    with subprocess.Popen(
        ["setarch", "x86_64", "-R", str(kernel), "mem=64M", f"initrd={initramfs}", "con=null",
         "ssl=null", "con0=null,fd:1", "uml_dir=/tmp", "loglevel=7"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True,
    ) as proc:
        log, _ = proc.communicate(timeout=60)
    found = re.search(r"lpj=(\d+)", log)
    return int(found.group(1)) if found else 4_000_000


def _fragments(profile: str, arch: Arch) -> list[Path]:
    return [profiles.fragment(profile), *arch.fragment_paths()]


def build_key(profile: str, arch: Arch, source: KernelSource) -> str:
    """What a profile's kernel is built from: the builder, the source version, the patches, the
    profile's and the architecture's fragments."""
    return digest(BUILDER_REVISION, arch.name, source.package_version, patches_digest(),
                  *(f.read_text() for f in _fragments(profile, arch)))


def _label(profile: str, arch: Arch) -> str:
    return profile if arch.name == "um" else f"{profile} ({arch.name})"


def installed_problem(profile: str, arch: Arch, install_dir: Path, source: KernelSource | None) -> str | None:
    """Why install_dir does not hold the kernel of `profile` built from `source`, or None."""
    manifest, label = install_dir / "kernel.json", _label(profile, arch)
    if source is None:
        return "no kernel source is unpacked: the kernels cannot be checked or built offline"
    try:
        info = json.loads(manifest.read_text())
    except FileNotFoundError:
        return f"kernel {label}: {manifest} is missing"
    except json.JSONDecodeError:
        return f"kernel {label}: {manifest} is not valid JSON"
    if info.get("manifest_revision") != MANIFEST_REVISION:
        return f"kernel {label}: {manifest} was written by an older builder"
    if info.get("config_hash") != build_key(profile, arch, source):
        return f"kernel {label}: stale (built from another source version, patches or fragment)"
    missing = [p for p in (info["path"], info["emulator"], *info["runtime_libs"]) if p and not Path(p).exists()]
    if missing:
        return f"kernel {label}: {', '.join(missing)} missing"
    return None


def build_kernel(profile: str, arch: Arch, install_dir: Path, initramfs: Path, jobs: int = 2) -> KernelBuild:
    """Build (or reuse) the kernel of `profile` for `arch` and install it in `install_dir`."""
    source = kernel_source(status=_status)
    key = build_key(profile, arch, source)
    manifest = install_dir / "kernel.json"
    if installed_problem(profile, arch, install_dir, source) is None:
        return KernelBuild(**{**json.loads(manifest.read_text()), "cached": True})

    out = CACHE / "build" / f"{arch.name}-{profile}-{key}"
    out.mkdir(parents=True, exist_ok=True)
    done = out / ".runu-build-seconds"
    # Builders of other checkouts share the cache: one at a time builds a key, the others wait.
    with open(out.with_name(out.name + ".lock"), "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _status(f"waiting for another build of {out.name}")
            fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            tree = patched_tree(source, status=_status)
            started = time.monotonic()
            configure(tree, out, _fragments(profile, arch), arch)
            _compile(tree, out, arch, _label(profile, arch), jobs)
            done.write_text(f"{time.monotonic() - started:.1f}")
    seconds = float(done.read_text())

    install_dir.mkdir(parents=True, exist_ok=True)
    installed = install_dir / Path(arch.image).name
    tmp = install_dir / f"{installed.name}.tmp"
    shutil.copy2(out / arch.image, tmp)
    if _is_elf(tmp):  # arm64's Image is a raw image, nothing to strip
        subprocess.run(["strip", str(tmp)], check=True)
    tmp.replace(installed)
    shutil.copy2(out / ".config", install_dir / "config")
    config = (out / ".config").read_text()
    build = KernelBuild(
        profile=profile,
        arch=arch.name,
        path=str(installed),
        version=(out / "include/config/kernel.release").read_text().strip(),
        config_hash=key,
        # A VM guest calibrates from its clock source.
        lpj=0 if arch.is_vm else calibrate_lpj(installed, initramfs),
        runtime_libs=[*runtime_libs(Path(arch.emulator)), *arch.loads] if arch.is_vm else runtime_libs(installed),
        size=installed.stat().st_size,
        build_seconds=round(seconds, 1),
        enabled_options=len(re.findall(r"^CONFIG_\w+=[ym]$", config, re.M)),
        patches=[p.name for p in patches()],
        emulator=arch.emulator,
    )
    tmp_manifest = install_dir / "kernel.json.tmp"
    tmp_manifest.write_text(json.dumps(asdict(build), indent=2))
    tmp_manifest.replace(manifest)
    return build


def unstripped(profile: str, arch: Arch, config_hash: str) -> Path:
    """The build tree's ELF with symbols, for footprint reports."""
    return CACHE / "build" / f"{arch.name}-{profile}-{config_hash}" / ("linux" if arch.name == "um" else "vmlinux")
