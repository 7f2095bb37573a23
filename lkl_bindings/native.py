"""Find and load the built library: the cffi module `_lkl` beside liblinux.so, and the system
call numbers of the same build."""

import functools
import importlib.machinery
import importlib.util
import json
import os
import platform
from pathlib import Path

from lkl_bindings.errors import LibraryMissing

# Debian's names for the machines runu builds the library for.
_ARCHES = {"x86_64": "x86_64", "aarch64": "arm64"}


def library_dir() -> Path:
    """RUNU_LKL_DIR, or RUNU_HOME/lkl/ARCH (RUNU_HOME defaults to /var/lib/runu)."""
    if "RUNU_LKL_DIR" in os.environ:
        return Path(os.environ["RUNU_LKL_DIR"])
    home = Path(os.environ.get("RUNU_HOME", "/var/lib/runu"))
    return home / "lkl" / _ARCHES.get(platform.machine(), platform.machine())


@functools.cache
def module():
    """The cffi module (ffi, lib) of the installed library."""
    directory = library_dir()
    found = sorted(directory.glob("_lkl.*.so"))
    if not (directory / "liblinux.so").exists() or not found:
        raise LibraryMissing(f"no library kernel in {directory}: build it with `invoke lkl.build`")
    spec = importlib.util.spec_from_loader(
        "_lkl", importlib.machinery.ExtensionFileLoader("_lkl", str(found[0])))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@functools.cache
def syscall_numbers() -> dict[str, int]:
    return json.loads((library_dir() / "syscalls.json").read_text())
