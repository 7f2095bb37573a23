"""What an image and its kernel weigh: the rootfs (files, bytes, layer sizes) and the kernel's
ELF (pyelftools on the unstripped build: allocated sections, the largest symbols)."""

import os
from pathlib import Path

from elftools.elf.constants import SH_FLAGS
from elftools.elf.elffile import ELFFile


def tree_stats(tree: Path) -> dict:
    """Regular files and their bytes, directories and symlinks not counted as files."""
    files = size = 0
    for dirpath, _, names in os.walk(tree):
        for name in names:
            st = os.lstat(os.path.join(dirpath, name))
            if not os.path.islink(os.path.join(dirpath, name)):
                files += 1
                size += st.st_size
    return {"files": files, "bytes": size}


def elf_breakdown(path: Path, top: int = 10) -> dict:
    """Sizes of the sections loaded at run time, and the `top` largest functions and objects."""
    with path.open("rb") as f:
        elf = ELFFile(f)
        sections = {s.name: s["sh_size"] for s in elf.iter_sections()
                    if s["sh_flags"] & SH_FLAGS.SHF_ALLOC and s["sh_size"]}
        symtab = elf.get_section_by_name(".symtab")
        symbols = [] if symtab is None else [
            (s.name, s["st_size"], s["st_info"]["type"][4:].lower()) for s in symtab.iter_symbols()
            if s["st_size"] and s["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT")]
    symbols.sort(key=lambda s: -s[1])
    return {
        "file_bytes": path.stat().st_size,
        "loaded_bytes": sum(sections.values()),
        "sections": dict(sorted(sections.items(), key=lambda kv: -kv[1])),
        "top_symbols": [{"name": n, "bytes": b, "kind": k} for n, b, k in symbols[:top]],
    }
