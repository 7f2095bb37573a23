"""Build runu's C parts from ext/: the sandbox launcher, the network hand-over and the in-guest init.

Each binary is rebuilt only when its sources change (a digest beside it).
"""

import subprocess
from pathlib import Path

from unikraft_build.cache import digest
from unikraft_build.initramfs import write_initramfs

EXT = Path(__file__).resolve().parent.parent / "ext"
CFLAGS = ["-Os", "-Wall", "-Wextra", "-Werror", "-D_FORTIFY_SOURCE=2"]

# name -> (sources, compiler flags, libraries)
PROGRAMS = {
    "runu-sandbox": (["runu-sandbox.c", "runu-stdin.c", "runu-monitor.c", "runu-dnsrelay.c"], [], []),
    "runu-netplumb": (["runu-netplumb.c", "runu-ifreq.c"], [], ["-lmnl"]),
    "runu-init": (["runu-init.c", "runu-net.c", "runu-ifreq.c", "runu-tokens.c", "runu-stdin.c",
                   "runu-firewall.c", "runu-dnsrelay.c"],
                  ["-static"], []),
}


def build_program(name: str, bin_dir: Path) -> tuple[Path, bool]:
    """Compile `name` into bin_dir; return its path and whether it was rebuilt."""
    sources, extra, libs = PROGRAMS[name]
    inputs = sorted({*sources, *(p.name for p in EXT.glob("*.h"))})
    key = digest(*CFLAGS, *extra, *libs, *((EXT / f).read_bytes() for f in inputs))
    output, stamp = bin_dir / name, bin_dir / f".{name}.digest"
    if output.exists() and stamp.exists() and stamp.read_text() == key:
        return output, False
    bin_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(["gcc", *CFLAGS, *extra, "-o", str(output) + ".tmp", *(str(EXT / s) for s in sources), *libs],
                   check=True)
    Path(str(output) + ".tmp").replace(output)
    stamp.write_text(key)
    return output, True


def build_native(artifacts: Path) -> list[str]:
    """Build every C program and the initramfs; return what was rebuilt."""
    rebuilt = []
    for name in PROGRAMS:
        path, fresh = build_program(name, artifacts / "bin")
        if fresh:
            rebuilt.append(name)
    initramfs = artifacts / "initramfs.cpio"
    if "runu-init" in rebuilt or not initramfs.exists():
        write_initramfs(artifacts / "bin" / "runu-init", initramfs)
        rebuilt.append("initramfs")
    return rebuilt
