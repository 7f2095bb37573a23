"""apt-get and apt-cache against one Debian suite, with a private source list and state under
the cache, so the system's sources and dpkg database stay untouched."""

import subprocess
from pathlib import Path

from kernelbuild.cache import CACHE

KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
MIRROR = "http://deb.debian.org/debian"


def apt(suite: str, *args: str, cwd: Path | None = None, empty_status: bool = False,
        arch: str | None = None) -> subprocess.CompletedProcess:
    """Run apt for `suite`; `empty_status` resolves as if nothing were installed (rootfs builds);
    `arch` (Debian's name, e.g. arm64) takes another architecture's packages, no dpkg change."""
    base = CACHE / "apt" / (f"{suite}-{arch}" if arch else suite)
    (base / "lists" / "partial").mkdir(parents=True, exist_ok=True)
    sources = base / "sources.list"
    sources.write_text(f"deb [signed-by={KEYRING}{f' arch={arch}' if arch else ''}] {MIRROR} {suite} main\n")
    options = [
        "-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
        "-o", f"Dir::State::Lists={base / 'lists'}", "-o", "Dir::Cache::pkgcache=",
        "-o", "Dir::Cache::srcpkgcache=", "-o", "APT::Sandbox::User=root",
    ]
    if arch:
        options += ["-o", f"APT::Architecture={arch}", "-o", f"APT::Architectures={arch}"]
    if empty_status:
        status = base / "empty-status"
        status.touch()
        options += ["-o", f"Dir::State::status={status}"]
    tool = "apt-cache" if args[0] in ("policy", "show") else "apt-get"
    return subprocess.run([tool, *options, *args], cwd=cwd, capture_output=True, text=True)
