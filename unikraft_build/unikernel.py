"""A user's Unikraft build output, inspected and packaged the way runu runs it (kraftkit's
layout: /unikraft/bin/kernel and, if there is one, /unikraft/bin/initrd), as a Docker image
and an OCI image layout. The project never contains or builds Unikraft itself.

inspect() reads the kernel's ELF with pyelftools: its architecture, the platform its boot
header says (a multiboot header or a PVH note: QEMU/KVM's x86 boot protocols; Xen's notes),
the Unikraft libraries linked in (by their symbols' prefixes: ukplat_*, uk_NAME_*), and its
footprint (unikraft_build.footprint)."""

import json
import re
import shutil
import tempfile
from pathlib import Path

from elftools.elf.elffile import ELFFile

from unikraft_build.footprint import elf_breakdown
from unikraft_build.images import import_tarball, rootfs_tarball

KERNEL, INITRD = "unikraft/bin/kernel", "unikraft/bin/initrd"
MULTIBOOT_MAGIC = (0x1BADB002).to_bytes(4, "little")
MULTIBOOT_SEARCH = 8192  # the header lies 32-bit aligned in the image's first 8 KiB
XEN_ELFNOTE_PHYS32_ENTRY = 18  # the PVH entry point
ARCHES = {"EM_X86_64": "x86_64", "EM_386": "i386", "EM_AARCH64": "arm64", "EM_ARM": "arm"}
_LIBRARY = re.compile(r"^(ukplat|uk_[a-z0-9]+)_")


def _platform(elf: ELFFile, head: bytes) -> str:
    notes = [(note["n_name"], note["n_type"]) for section in elf.iter_sections()
             if section.header["sh_type"] == "SHT_NOTE" for note in section.iter_notes()]
    if ("Xen", XEN_ELFNOTE_PHYS32_ENTRY) in notes:
        return "kvm (PVH)"
    if any(name == "Xen" for name, _ in notes):
        return "xen"
    if any(head[i:i + 4] == MULTIBOOT_MAGIC for i in range(0, min(len(head), MULTIBOOT_SEARCH), 4)):
        return "kvm (multiboot)"
    return "unknown"


def _libraries(elf: ELFFile) -> list[str]:
    symtab = elf.get_section_by_name(".symtab")
    names = set() if symtab is None else {m.group(1).replace("_", "") for s in symtab.iter_symbols()
                                          if s["st_info"]["type"] == "STT_FUNC" and (m := _LIBRARY.match(s.name))}
    return sorted(names)


def inspect(kernel: Path) -> dict:
    """What a Unikraft kernel is: architecture, platform, libraries, footprint."""
    with kernel.open("rb") as f:
        head = f.read(MULTIBOOT_SEARCH)
        f.seek(0)
        elf = ELFFile(f)
        arch = ARCHES.get(elf["e_machine"], elf["e_machine"])
        platform, libraries = _platform(elf, head), _libraries(elf)
    return {"kernel": str(kernel), "arch": arch, "platform": platform, "libraries": libraries,
            "footprint": elf_breakdown(kernel)}


def _tree(kernel: Path, initrd: Path | None, into: Path) -> Path:
    (into / KERNEL).parent.mkdir(parents=True)
    shutil.copy2(kernel, into / KERNEL)
    if initrd is not None:
        shutil.copy2(initrd, into / INITRD)
    return into


def _changes(facts: dict, args: tuple[str, ...]) -> list[str]:
    return [f'ENTRYPOINT ["/{KERNEL}"]', f"CMD {json.dumps(list(args))}",
            f"LABEL org.runu.unikraft.arch={facts['arch']}",
            f"LABEL org.runu.unikraft.libraries={','.join(facts['libraries']) or '-'}"]


def docker_image(client, kernel: Path, tag: str, initrd: Path | None = None, args: tuple[str, ...] = ()) -> dict:
    """The build output as Docker image `tag` (imported locally; an unchanged one is kept);
    `args` are the application's default arguments (CMD). Returns inspect()'s facts."""
    facts = inspect(kernel)
    with tempfile.TemporaryDirectory() as tmp:
        import_tarball(client, rootfs_tarball(_tree(kernel, initrd, Path(tmp))), tag, _changes(facts, args))
    return facts


def oci_layout(kernel: Path, out: Path, ref: str, initrd: Path | None = None, args: tuple[str, ...] = ()) -> str:
    """The build output as an OCI image layout at `out`; returns its manifest's digest."""
    import gzip

    from unikraft_build.oci import sha256, write_layout

    facts = inspect(kernel)
    with tempfile.TemporaryDirectory() as tmp:
        tar = rootfs_tarball(_tree(kernel, initrd, Path(tmp)))
    config = {
        "architecture": {"x86_64": "amd64"}.get(facts["arch"], facts["arch"]), "os": "linux",
        "config": {"Entrypoint": [f"/{KERNEL}"], "Cmd": list(args),
                   "Labels": {"org.runu.unikraft.arch": facts["arch"],
                              "org.runu.unikraft.libraries": ",".join(facts["libraries"])}},
        "rootfs": {"type": "layers", "diff_ids": [sha256(tar)]},
    }
    return write_layout(out, config, gzip.compress(tar, mtime=0), ref, {"org.runu.unikraft.platform": facts["platform"]})
