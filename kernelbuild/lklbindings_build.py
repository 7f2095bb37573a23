"""Compile lkl_bindings' cffi module (API mode) against a built liblinux.so.

    python lklbindings_build.py DIR [--cross TRIPLET --python-root ROOT]

DIR holds liblinux.so; the module `_lkl` is written beside it and finds the
library there ($ORIGIN), wherever DIR is installed. With --cross, the module
is compiled by TRIPLET-gcc for the Python of that architecture whose headers
are in the Debian root ROOT (python3-dev): cffi writes the C source, the
cross compiler builds it.
"""

import argparse
import shutil
import subprocess
import sysconfig
from pathlib import Path

from cffi import FFI

HERE = Path(__file__).resolve().parent
DECLARATIONS = """
int lkl_posix_start(unsigned long memory_bytes, const char *cmdline);
long lkl_syscall(long no, long *params);
long lkl_halt(void);
int lkl_is_running(void);
"""
INCLUDES = [HERE / "lkl/arch/lkl/include/uapi", HERE.parent / "ext"]
LINK = ["-Wl,-rpath,$ORIGIN"]


def _ffi(directory: Path) -> FFI:
    ffi = FFI()
    ffi.cdef(DECLARATIONS)
    ffi.set_source("_lkl", '#include <asm/host_ops.h>\n#include "lkl-host.h"\n',
                   include_dirs=[str(p) for p in INCLUDES], library_dirs=[str(directory)],
                   libraries=["linux"], extra_link_args=LINK)
    return ffi


def build(directory: Path) -> Path:
    """The module for this Python, beside liblinux.so in `directory`."""
    built = Path(_ffi(directory).compile(tmpdir=str(directory / "cffi-build")))
    module = built.replace(directory / built.name)
    shutil.rmtree(directory / "cffi-build")
    return module


def cross_build(directory: Path, triplet: str, python_root: Path) -> Path:
    """The module for the Python of `triplet`'s Debian (same version as this one)."""
    version = sysconfig.get_python_version()
    source = directory / "_lkl.c"
    _ffi(directory).emit_c_code(str(source))
    module = directory / f"_lkl.cpython-{version.replace('.', '')}-{triplet}.so"
    subprocess.run([f"{triplet}-gcc", "-shared", "-fPIC", "-O2", *(f"-I{p}" for p in INCLUDES),
                    f"-I{python_root}/usr/include/python{version}",
                    f"-I{python_root}/usr/include/{triplet}/python{version}",
                    # pyconfig.h includes <TRIPLET/pythonX.Y/pyconfig.h>: the root's include
                    # directory, searched after the cross compiler's own.
                    "-idirafter", f"{python_root}/usr/include",
                    "-o", str(module), str(source), f"-L{directory}", "-llinux", *LINK], check=True)
    source.unlink()
    return module


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--cross", metavar="TRIPLET")
    parser.add_argument("--python-root", type=Path)
    args = parser.parse_args()
    if args.cross:
        cross_build(args.directory, args.cross, args.python_root)
    else:
        build(args.directory)
