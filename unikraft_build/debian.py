"""Debian packages unpacked into a rootfs tree without being installed.

apt resolves the dependency closure as if nothing were installed, the .debs are downloaded once
into the cache and unpacked with dpkg-deb. No maintainer script runs, so the packages that only
serve them are left out, and so are docs, man pages and translations: the image carries what
its programs load, nothing else.
"""

import re
import shutil
import subprocess
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from kernelbuild.apt import apt
from kernelbuild.cache import CACHE

# Needed only to run maintainer scripts or to manage packages, never by the programs.
INSTALL_ONLY = frozenset({
    "adduser", "debconf", "dpkg", "init-system-helpers", "lsb-base", "passwd", "perl-base",
    "sysvinit-utils", "tar", "libpam-modules", "libpam-modules-bin", "libpam0g",
    "libsemanage2", "libsemanage-common",
})
# iconv charset modules (gconv) included: none of these programs converts charsets through glibc.
SLIM = ("usr/share/doc", "usr/share/man", "usr/share/info", "usr/share/locale",
        "usr/share/lintian", "usr/share/bug", "usr/lib/*-linux-gnu/gconv")
_INST = re.compile(r"^Inst (\S+) \((\S+) ", re.M)
console = Console(stderr=True)


class PackageError(RuntimeError):
    pass


def resolve(suite: str, packages: list[str], arch: str | None = None) -> list[tuple[str, str]]:
    """(name, version) of every package `packages` need, minus the install-only ones; `arch`:
    Debian's name of another architecture (arm64), the host's if None."""
    update = apt(suite, "update", arch=arch)
    if update.returncode != 0:
        raise PackageError(f"apt-get update for {suite} failed: {update.stderr.strip()}")
    sim = apt(suite, "install", "-s", "--no-install-recommends", *packages, empty_status=True, arch=arch)
    if sim.returncode != 0:
        raise PackageError(f"cannot resolve {' '.join(packages)} in {suite}: {sim.stderr.strip()}")
    return [(n, v) for n, v in _INST.findall(sim.stdout) if n not in INSTALL_ONLY]


def _cached(pool: Path, name: str, version: str) -> Path | None:
    return next(pool.glob(f"{name}_{version.replace(':', '%3a')}_*.deb"), None)


def download(suite: str, pins: list[tuple[str, str]], arch: str | None = None) -> list[Path]:
    """The .deb of each pinned package, fetched only when the cache lacks it."""
    pool = CACHE / "debs" / (f"{suite}-{arch}" if arch else suite)
    pool.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}={v}" for n, v in pins if not _cached(pool, n, v)]
    if missing:
        with console.status(f"downloading {len(missing)} Debian packages from {suite}"):
            got = apt(suite, "download", *missing, cwd=pool, arch=arch)
        if got.returncode != 0:
            raise PackageError(f"apt-get download failed: {got.stderr.strip()}")
    return [_cached(pool, n, v) for n, v in pins]


def unpack(debs: list[Path], tree: Path, arch: str | None = None) -> None:
    """dpkg-deb -x each package into `tree`, then drop what no program reads. The library cache
    is made for the host's architecture only: the host's ldconfig reads no foreign library, and
    the loader of another one searches its multiarch directories without a cache."""
    tree.mkdir(parents=True, exist_ok=True)
    with Progress(TextColumn("unpacking"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                  console=console, transient=True) as bar:
        task = bar.add_task("", total=len(debs))
        for deb in debs:
            bar.update(task, description=deb.name.split("_")[0])
            subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
            bar.advance(task)
    for pattern in SLIM:
        for path in tree.glob(pattern):
            shutil.rmtree(path, ignore_errors=True)
    if arch is None and (tree / "etc/ld.so.conf.d").is_dir():
        (tree / "etc/ld.so.conf").write_text("include /etc/ld.so.conf.d/*.conf\n")
        subprocess.run(["ldconfig", "-r", str(tree)], check=True)


def install(suite: str, packages: list[str], tree: Path, arch: str | None = None) -> list[tuple[str, str]]:
    """Put `packages` (of `arch`: Debian's name, the host's if None) and their dependencies
    into `tree`; returns what went in."""
    pins = resolve(suite, packages, arch)
    unpack(download(suite, pins, arch), tree, arch)
    return pins
