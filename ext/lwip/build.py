"""cffi build of the lwIP harness: ``python ext/lwip/build.py [OUTDIR]`` (default ext/out).

Produces the extension module ``_runu_lwip`` linked against Debian's liblwip (package
liblwip-dev), exposing ``runu_lwip_start``.
"""
import sys
from pathlib import Path

import cffi

HERE = Path(__file__).resolve().parent
MODULE = "_runu_lwip"


def builder() -> cffi.FFI:
    """The cffi builder for the harness."""
    ffi = cffi.FFI()
    ffi.cdef("int runu_lwip_start(const char *tap, const char *mac, const char *ip,"
             " int prefixlen, int port);")
    ffi.set_source(MODULE, '#include "harness.h"', sources=[str(HERE / "harness.c")],
                   include_dirs=[str(HERE), "/usr/include/lwip"], libraries=["lwip", "pthread"],
                   extra_compile_args=["-O2", "-Wall"])
    return ffi


def build(outdir: Path) -> Path:
    """Compile the module into ``outdir``; returns the path of the shared object."""
    outdir.mkdir(parents=True, exist_ok=True)
    return Path(builder().compile(tmpdir=str(outdir / "lwip-build"), target=f"{MODULE}.*",
                                  verbose=False)).rename(outdir / Path(f"{MODULE}.so"))


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent / "out"))
