"""The architectures a profile's kernel is built for: UML (the kernel is a host process) and the
VM guests (x86_64, arm64) that QEMU runs. Each names make's ARCH, the image make leaves, its
Kconfig fragments (kernelbuild/arches/) and, for a VM, the emulator and what else its sandbox
needs (firmware, QEMU's TCG module)."""

from dataclasses import dataclass
from pathlib import Path

from kernelbuild import profiles

ARCHES = Path(__file__).parent / "arches"


@dataclass(frozen=True)
class Arch:
    name: str
    make_target: str  # what `make` builds
    image: str  # where it leaves it, in the build directory
    fragments: tuple[str, ...]  # kernelbuild/arches/NAME.config, applied after the profile's
    cross_compile: str = ""  # the toolchain prefix when the host cannot build it natively
    emulator: str = ""  # a VM guest's QEMU
    loads: tuple[str, ...] = ()  # host files the emulator opens besides its libraries

    @property
    def is_vm(self) -> bool:
        return bool(self.emulator)

    def fragment_paths(self) -> list[Path]:
        return [ARCHES / f"{name}.config" for name in self.fragments]


KNOWN = {
    "um": Arch("um", "linux", "linux", ("um",)),
    "x86_64": Arch("x86_64", "vmlinux", "vmlinux", ("virtio", "x86_64"),
                   emulator="/usr/bin/qemu-system-x86_64",
                   loads=("/usr/share/qemu/qboot.rom", "/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so")),
    "arm64": Arch("arm64", "Image", "arch/arm64/boot/Image", ("virtio", "arm64"), cross_compile="aarch64-linux-gnu-",
                  emulator="/usr/bin/qemu-system-aarch64"),
}


class UnknownArch(ValueError):
    pass


def lookup(name: str) -> Arch:
    try:
        return KNOWN[name]
    except KeyError:
        raise UnknownArch(f"unknown kernel architecture {name!r} (known: {', '.join(KNOWN)})") from None


def default_targets() -> list[tuple[str, Arch]]:
    """What a setup builds: every profile as UML and as an arm64 guest (the edge boards' own, whose
    images use every profile: `invoke demo --arch arm64`), and the default profile as an x86_64
    guest (the emulators and the arm64 cross compiler are project packages)."""
    return [*((name, KNOWN[arch]) for arch in ("um", "arm64") for name in profiles.names()),
            ("default", KNOWN["x86_64"])]
