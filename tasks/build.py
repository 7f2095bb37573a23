"""Build tasks: the C parts, the initramfs and the kernels of every profile."""

from invoke import task
from rich.console import Console

from runu.paths import ARTIFACTS, initramfs, kernel_dir
from kernelbuild import profiles
from kernelbuild.kernel import build_kernel
from kernelbuild.native import build_native

console = Console(stderr=True)


def build_native_parts() -> None:
    """ext/ compiled into ARTIFACTS/bin and the initramfs written (cached by source digest)."""
    rebuilt = build_native(ARTIFACTS)
    console.print(f"native parts: {'rebuilt ' + ', '.join(rebuilt) if rebuilt else 'up to date'}")


def build_kernels(profile: str | None = None) -> None:
    """The tailored kernel of each profile (or of one), cached by source version and fragment."""
    for name in [profile] if profile else profiles.names():
        k = build_kernel(name, kernel_dir(name), initramfs())
        state = "cache hit" if k.cached else f"built in {k.build_seconds:.0f} s"
        console.print(f"kernel [bold]{name}[/bold]: {k.version}, {k.size / 1e6:.1f} MB, "
                      f"{k.enabled_options} options, config {k.config_hash}, lpj {k.lpj} ({state})\n"
                      f"  {k.path}")


def build_all() -> None:
    """Every artifact runu needs, in dependency order: kernels calibrate against the initramfs."""
    build_native_parts()
    build_kernels()


@task
def native(c):
    """Compile ext/ (sandbox launcher, in-guest init) and write the initramfs."""
    build_native_parts()


@task(help={"profile": "one profile (default: all)"})
def build(c, profile=None):
    """Build the C parts, then the tailored kernel of each profile (cached)."""
    build_native_parts()
    build_kernels(profile)
