"""Build tasks: the C parts, the initramfs and the kernels of every profile."""

from invoke import task
from rich.console import Console

from runu.paths import ARTIFACTS, initramfs, kernel_dir
from kernelbuild import arches, profiles
from kernelbuild.arches import default_targets
from kernelbuild.kernel import build_kernel
from kernelbuild.native import build_native

console = Console(stderr=True)


def build_native_parts() -> None:
    """ext/ compiled into ARTIFACTS/bin and the initramfs written (cached by source digest)."""
    rebuilt = build_native(ARTIFACTS)
    console.print(f"native parts: {'rebuilt ' + ', '.join(rebuilt) if rebuilt else 'up to date'}")


def build_kernels(profile: str | None = None, arch: str | None = None) -> None:
    """The tailored kernels setup builds (kernelbuild.arches.default_targets), or those of one
    profile or architecture, cached by source version and fragments."""
    targets = default_targets()
    if profile or arch:
        profile_names = [profile] if profile else profiles.names()
        targets = [(name, arches.lookup(arch or "um")) for name in profile_names]
    for name, target in targets:
        k = build_kernel(name, target, kernel_dir(name, target.name), initramfs())
        state = "cache hit" if k.cached else f"built in {k.build_seconds:.0f} s"
        console.print(f"kernel [bold]{name}[/bold] ({k.arch}): {k.version}, {k.size / 1e6:.1f} MB, "
                      f"{k.enabled_options} options, config {k.config_hash}, lpj {k.lpj} ({state})\n"
                      f"  {k.path}")


def build_all() -> None:
    """Every artifact runu needs, in dependency order: kernels calibrate against the initramfs;
    then the kernel as a library, for every architecture (the edge boards' arm64 too)."""
    from kernelbuild.library import TRIPLETS
    from tasks.lkl import build_library_for

    build_native_parts()
    build_kernels()
    for arch in TRIPLETS:
        build_library_for(arch)


@task
def native(c):
    """Compile ext/ (sandbox launcher, in-guest init) and write the initramfs."""
    build_native_parts()


@task(help={"profile": "one profile (default: all)", "arch": "um, x86_64 or arm64 (default: what setup builds)"})
def build(c, profile=None, arch=None):
    """Build the C parts, then the tailored kernels (cached)."""
    build_native_parts()
    try:
        build_kernels(profile, arch)
    except (profiles.UnknownProfile, arches.UnknownArch) as bad:
        raise SystemExit(f"invoke build: {bad}") from None
