"""Build a profile's tailored User-Mode Linux kernel, out of tree, cached.

The cache key is the source version, runu's kernel patches and the profile's
fragment: an unchanged profile is a cache hit that costs a file read. The
result is installed where runu looks kernels up (runu.paths.kernel_dir) with a
kernel.json manifest: version, config hash, the patches, calibrated lpj, and
the host libraries the dynamically linked kernel needs inside the sandbox root.
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
from kernelbuild.cache import CACHE, digest
from kernelbuild.source import KernelSource, kernel_source, patched_tree, patches, patches_digest

# Bump when the way a kernel is built changes, to invalidate old builds.
BUILDER_REVISION = "1"
# Bump when what the manifest records changes: reinstalls without recompiling.
MANIFEST_REVISION = 3
ESTIMATED_OBJECTS = 800
console = Console(stderr=True)


@dataclass
class KernelBuild:
    profile: str
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
    manifest_revision: int = MANIFEST_REVISION
    cached: bool = False


def _status(msg: str) -> None:
    console.print(f"[dim]{msg}[/dim]")


def _make(tree: Path, out: Path, *targets: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(tree), f"O={out}", "ARCH=um", *targets],
                          capture_output=True, text=True, check=True, **kw)


def configure(tree: Path, out: Path, fragment: Path) -> None:
    """tinyconfig, then the fragment, then olddefconfig; every fragment line must hold."""
    _make(tree, out, "tinyconfig")
    subprocess.run([str(tree / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(out),
                    str(out / ".config"), str(fragment)], capture_output=True, check=True, cwd=tree)
    _make(tree, out, "olddefconfig")
    config = (out / ".config").read_text()
    for line in fragment.read_text().splitlines():
        if re.match(r"^CONFIG_\w+=y$", line) and line not in config:
            raise RuntimeError(f"{fragment.name}: {line} did not survive olddefconfig")


def _compile(tree: Path, out: Path, profile: str, jobs: int) -> None:
    """make linux with a progress bar fed by make's own CC/LD lines."""
    seen = out / ".runu-objects"
    total = int(seen.read_text()) if seen.exists() else ESTIMATED_OBJECTS
    proc = subprocess.Popen(["make", "-C", str(tree), f"O={out}", "ARCH=um", f"-j{jobs}", "linux"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    done, tail = 0, []
    with Progress(TextColumn(f"kernel {profile}"), BarColumn(), MofNCompleteColumn(),
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
                    console.print(f"kernel {profile}: {done}/{total} objects")
        bar.update(task, completed=total)
    if proc.wait() != 0:
        raise RuntimeError(f"kernel build failed:\n{''.join(tail)}")
    seen.write_text(str(done))


def runtime_libs(kernel: Path) -> list[str]:
    """Host libraries the kernel loads: the sandbox root must expose exactly these.

    Besides what ldd lists, glibc loads libgcc_s when a thread is cancelled,
    which UML does to its helper threads at power-off."""
    out = subprocess.run(["ldd", str(kernel)], capture_output=True, text=True, check=True).stdout
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


def build_key(profile: str, source: KernelSource) -> str:
    """What a profile's kernel is built from: the builder, the source version, the patches, the
    fragment."""
    return digest(BUILDER_REVISION, source.package_version, patches_digest(),
                  profiles.fragment(profile).read_text())


def installed_problem(profile: str, install_dir: Path, source: KernelSource | None) -> str | None:
    """Why install_dir does not hold the kernel of `profile` built from `source`, or None."""
    manifest = install_dir / "kernel.json"
    if source is None:
        return "no kernel source is unpacked: the kernels cannot be checked or built offline"
    try:
        info = json.loads(manifest.read_text())
    except FileNotFoundError:
        return f"kernel {profile}: {manifest} is missing"
    except json.JSONDecodeError:
        return f"kernel {profile}: {manifest} is not valid JSON"
    if info.get("manifest_revision") != MANIFEST_REVISION:
        return f"kernel {profile}: {manifest} was written by an older builder"
    if info.get("config_hash") != build_key(profile, source):
        return f"kernel {profile}: stale (built from another source version, patches or fragment)"
    missing = [p for p in (info["path"], *info["runtime_libs"]) if not Path(p).exists()]
    if missing:
        return f"kernel {profile}: {', '.join(missing)} missing"
    return None


def build_kernel(profile: str, install_dir: Path, initramfs: Path, jobs: int = 2) -> KernelBuild:
    """Build (or reuse) the kernel of `profile` and install it in `install_dir`."""
    fragment = profiles.fragment(profile)
    source = kernel_source(status=_status)
    key = build_key(profile, source)
    manifest = install_dir / "kernel.json"
    if installed_problem(profile, install_dir, source) is None:
        return KernelBuild(**{**json.loads(manifest.read_text()), "cached": True})

    out = CACHE / "build" / f"{profile}-{key}"
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
            configure(tree, out, fragment)
            _compile(tree, out, profile, jobs)
            done.write_text(f"{time.monotonic() - started:.1f}")
    seconds = float(done.read_text())

    install_dir.mkdir(parents=True, exist_ok=True)
    installed = install_dir / "linux"
    tmp = install_dir / "linux.tmp"
    shutil.copy2(out / "linux", tmp)
    subprocess.run(["strip", str(tmp)], check=True)
    tmp.replace(installed)
    shutil.copy2(out / ".config", install_dir / "config")
    config = (out / ".config").read_text()
    build = KernelBuild(
        profile=profile,
        path=str(installed),
        version=(out / "include/config/kernel.release").read_text().strip(),
        config_hash=key,
        lpj=calibrate_lpj(installed, initramfs),
        runtime_libs=runtime_libs(installed),
        size=installed.stat().st_size,
        build_seconds=round(seconds, 1),
        enabled_options=len(re.findall(r"^CONFIG_\w+=[ym]$", config, re.M)),
        patches=[p.name for p in patches()],
    )
    tmp_manifest = install_dir / "kernel.json.tmp"
    tmp_manifest.write_text(json.dumps(asdict(build), indent=2))
    tmp_manifest.replace(manifest)
    return build


def unstripped(profile: str, config_hash: str) -> Path:
    """The build tree's ELF with symbols, for footprint reports."""
    return CACHE / "build" / f"{profile}-{config_hash}" / "linux"
