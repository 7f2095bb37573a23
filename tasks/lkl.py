"""`invoke lkl.build`: Linux as a library (liblinux.so, its headers and lkl_bindings' module)."""

from invoke import task
from rich.console import Console

from kernelbuild.library import TRIPLETS, build_library

console = Console(stderr=True)


def build_library_for(arch: str | None = None) -> None:
    """The library for `arch` (the host's by default), cached like the kernels."""
    built = build_library(arch, status=lambda msg: console.print(f"[dim]{msg}[/dim]"))
    state = "cache hit" if built.cached else f"built in {built.build_seconds:.0f} s"
    console.print(f"library ({built.arch}): Linux {built.version}, {built.size / 1e6:.1f} MB, "
                  f"{built.enabled_options} options ({state})\n  {built.path}")


@task(help={"arch": f"{' or '.join(TRIPLETS)} (default: the host's)"})
def build(c, arch=None):
    """Build liblinux.so: Debian's kernel source with runu's arch/lkl, as a shared library."""
    if arch is not None and arch not in TRIPLETS:
        raise SystemExit(f"invoke lkl.build: unknown architecture {arch!r} (known: {', '.join(TRIPLETS)})")
    build_library_for(arch)
