"""The kernel source, from Debian's linux-source packages, and runu's patches to it.

apt runs with a private source list and state directory under the cache, so
the system's sources stay untouched. Newest first: 7.3 from trixie-backports
(seccomp userspace, the vector network driver), then 6.12 as the fallback.

The unpacked tree stays as Debian ships it. kernelbuild/patches/*.patch (in
name order) are applied to a tree of their own, named by the patches' digest:
a changed patch gets a new tree, and the build key carries the same digest.
"""

import fcntl
import os
import re
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from kernelbuild.apt import apt as _apt
from kernelbuild.cache import CACHE, digest

CANDIDATES = (("trixie-backports", "7.3"), ("bookworm-backports", "6.12"))
PATCHES = Path(__file__).parent / "patches"


@dataclass(frozen=True)
class KernelSource:
    version: str  # the upstream series, e.g. 7.3
    package_version: str  # Debian's version of linux-source-N
    tree: Path


def _candidate(suite: str, series: str) -> str | None:
    update = _apt(suite, "update")
    if update.returncode != 0:
        return None
    policy = _apt(suite, "policy", f"linux-source-{series}").stdout
    for line in policy.splitlines():
        if line.strip().startswith("Candidate:"):
            version = line.split(":", 1)[1].strip()
            return None if version == "(none)" else version
    return None


def _extract(deb: Path, dest: Path) -> Path:
    """The package holds one tarball of the tree; unpack it beside the .deb."""
    tmp = dest.with_suffix(".partial")
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    tmp.mkdir(parents=True)
    subprocess.run(f"dpkg-deb --fsys-tarfile {deb} | tar -x -C {tmp} --wildcards './usr/src/*.tar.xz'",
                   shell=True, check=True)
    tarball = next(tmp.glob("usr/src/linux-source-*.tar.xz"))
    # Debian's own tarball, trusted as it is; extraction filters exist only from Python 3.11.4
    # (bookworm has 3.11.2), and without one a newer Python warns.
    trusted = {"filter": "fully_trusted"} if hasattr(tarfile, "fully_trusted_filter") else {}
    with tarfile.open(tarball) as tar:
        tar.extractall(tmp, **trusted)
    tree = next(p for p in tmp.iterdir() if p.name.startswith("linux-source-"))
    tree.rename(dest)
    subprocess.run(["rm", "-rf", str(tmp)], check=True)
    return dest


def _unpacked(series: str) -> KernelSource | None:
    for marker in sorted((CACHE / "src").glob(f"linux-source-{series}_*.ready")):
        version = marker.stem.split("_", 1)[1]
        return KernelSource(series, version, CACHE / "src" / f"linux-source-{series}_{version}")
    return None


def unpacked_source() -> KernelSource | None:
    """The tree kernel_source() would use, if it is already here (never downloads)."""
    return next(filter(None, (_unpacked(series) for _, series in CANDIDATES)), None)


def kernel_source(status=print) -> KernelSource:
    """The newest kernel tree Debian offers here, downloaded and unpacked once."""
    for suite, series in CANDIDATES:
        # A tree already unpacked wins: no network needed on later runs.
        if (found := _unpacked(series)) is not None:
            return found
        version = _candidate(suite, series)
        if version is None:
            continue
        download = CACHE / "src"
        download.mkdir(parents=True, exist_ok=True)
        status(f"downloading linux-source-{series} {version} from {suite}")
        got = _apt(suite, "download", f"linux-source-{series}={version}", cwd=download)
        if got.returncode != 0:
            continue
        deb = next(download.glob(f"linux-source-{series}_*.deb"))
        status(f"unpacking {deb.name}")
        tree = _extract(deb, download / f"linux-source-{series}_{version}")
        deb.unlink()
        (download / f"linux-source-{series}_{version}.ready").touch()
        return KernelSource(series, version, tree)
    raise RuntimeError("no linux-source package is available (tried " +
                       ", ".join(f"{s} {v}" for s, v in CANDIDATES) + ")")


def patches() -> list[Path]:
    """runu's patches to the kernel source, in the order they apply."""
    return sorted(PATCHES.glob("*.patch"))


def patches_digest() -> str:
    """What the patches are: names (their order) and contents. Part of every build key."""
    return digest(*(part for p in patches() for part in (p.name, p.read_bytes())))


def _patched_files(patch: Path) -> list[str]:
    """Paths a -p1 patch writes (its +++ lines)."""
    found = re.findall(r"^\+\+\+ b/(\S+)", patch.read_text(), re.MULTILINE)
    if not found:
        raise RuntimeError(f"{patch.name}: no '+++ b/...' lines: not a -p1 patch")
    return found


def patched_tree(source: KernelSource, status=print) -> Path:
    """The source tree with runu's patches applied, made once per set of patches.

    A tree of hard links to Debian's (seconds, no space), each file a patch
    writes copied first so Debian's tree stays pristine. Unpatched: Debian's own."""
    found = patches()
    if not found:
        return source.tree
    tree = source.tree.with_name(f"{source.tree.name}+patched-{patches_digest()}")
    if tree.is_dir():
        return tree
    # One builder at a time makes it; a second one waits and finds it made.
    with open(tree.with_name(tree.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tree.is_dir():
            _make_patched_tree(source, found, tree, status)
    return tree


def _make_patched_tree(source: KernelSource, found: list[Path], tree: Path, status) -> None:
    tmp = tree.with_name(tree.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    status(f"linking linux-source-{source.version} into {tree.name}")
    subprocess.run(["cp", "-al", str(source.tree), str(tmp)], check=True)
    for patch in found:
        status(f"applying {patch.name}")
        for rel in _patched_files(patch):
            target = tmp / rel
            if target.exists():
                # Break the link: the patched copy is this tree's alone.
                copy = target.with_name(target.name + ".runu-copy")
                shutil.copy2(target, copy)
                os.replace(copy, target)
        # --fuzz=0: a hunk applies exactly where it was made or not at all.
        applied = subprocess.run(["patch", "-p1", "--batch", "--forward", "--fuzz=0", "-d", str(tmp),
                                  "-i", str(patch)], capture_output=True, text=True, check=False)
        if applied.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise RuntimeError(f"{patch.name} does not apply to linux-source-{source.package_version}:\n"
                               f"{applied.stdout}{applied.stderr}")
    tmp.rename(tree)
