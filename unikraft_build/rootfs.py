"""Root filesystem trees made from Debian packages, never pulled from a registry."""

import shutil
import subprocess
from pathlib import Path

BUSYBOX = Path("/bin/busybox")  # from busybox-static: one static binary, every applet

_PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
_GROUP = "root:x:0:\nnogroup:x:65534:\n"


def busybox_rootfs(dest: Path, arch: str | None = None) -> Path:
    """A minimal rootfs: static busybox with a link per applet, users, and mountpoints; `arch`
    (Debian's name, e.g. arm64) takes that architecture's busybox-static from Debian, whose
    applets are the host's same version's (no emulation needed to assemble it)."""
    (dest / "bin").mkdir(parents=True, exist_ok=True)
    if arch:
        from unikraft_build import debian

        debian.install("bookworm", ["busybox-static"], dest, arch=arch)
    else:
        shutil.copy2(BUSYBOX, dest / "bin" / "busybox")
    applets = subprocess.run([str(BUSYBOX), "--list"], capture_output=True, text=True, check=True).stdout.split()
    for applet in applets:
        link = dest / "bin" / applet
        if applet != "busybox" and not link.exists():
            link.symlink_to("busybox")
    for d in ("etc", "proc", "sys", "dev", "tmp", "root", "var/www", "usr/bin", "sbin"):
        (dest / d).mkdir(parents=True, exist_ok=True)
    (dest / "tmp").chmod(0o1777)
    (dest / "etc" / "passwd").write_text(_PASSWD)
    (dest / "etc" / "group").write_text(_GROUP)
    return dest
