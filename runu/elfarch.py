"""Which architecture a container's program is built for: the image decides the guest's.

The program (process.args[0], looked up on the process's PATH inside the rootfs, symbolic
links and #! interpreters followed there, never on the host) is read for its ELF
identification and machine: 20 bytes. pyelftools would read the same two fields after an
import that costs 60-100 ms on every create; unikraft_build uses it where a whole ELF matters.
"""

import os
import struct
from pathlib import Path, PurePosixPath

# e_machine values (elf.h) -> runu's architecture names (kernelbuild.arches)
MACHINES = {3: "i386", 40: "arm", 62: "x86_64", 183: "arm64", 243: "riscv64"}
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAX_LINKS = 40


def host_arch() -> str:
    return {"x86_64": "x86_64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def _inside(rootfs: Path, path: PurePosixPath, links: int = 0) -> Path | None:
    """`path` (absolute, as the guest sees it) resolved inside `rootfs`, links followed there."""
    resolved = PurePosixPath("/")
    parts = list(path.parts[1:])
    while parts:
        part = parts.pop(0)
        if part in ("", "."):
            continue
        if part == "..":
            resolved = resolved.parent
            continue
        host = rootfs / (resolved / part).relative_to("/")
        if host.is_symlink():
            links += 1
            if links > MAX_LINKS:
                return None
            target = PurePosixPath(os.readlink(host))
            parts = list(target.parts[1:] if target.is_absolute() else target.parts) + parts
            if target.is_absolute():
                resolved = PurePosixPath("/")
            continue
        resolved = resolved / part
    host = rootfs / resolved.relative_to("/")
    return host if host.is_file() else None


def _find(rootfs: Path, program: str, env: list[str]) -> Path | None:
    if "/" in program:
        return _inside(rootfs, PurePosixPath("/") / program)
    path = next((e[5:] for e in env if e.startswith("PATH=")), DEFAULT_PATH)
    for directory in path.split(":"):
        if directory.startswith("/") and (found := _inside(rootfs, PurePosixPath(directory) / program)):
            return found
    return None


def _program_elf(rootfs: Path, process: dict) -> tuple[Path, bytes] | None:
    """The ELF file that runs the process's program in `rootfs` (#! interpreters followed) and
    its first 256 bytes, or None when there is none (no such program, not ELF)."""
    args = process.get("args") or []
    if not args:
        return None
    program = _find(rootfs, args[0], process.get("env", []))
    for _ in range(MAX_LINKS):  # #! interpreters, each looked up inside the rootfs again
        if program is None:
            return None
        try:
            with open(program, "rb") as f:
                head = f.read(256)
        except OSError:
            return None
        if head.startswith(b"#!"):
            words = head[2:].split(b"\n", 1)[0].split()
            program = _inside(rootfs, PurePosixPath(words[0].decode(errors="replace"))) if words else None
            continue
        if len(head) < 20 or head[:4] != b"\x7fELF" or head[5] not in (1, 2):
            return None
        return program, head
    return None


def program_arch(rootfs: Path, process: dict) -> str | None:
    """The architecture of the process's program in `rootfs`, or None when it cannot be told
    (no such program, not ELF: the guest reports that as it runs it)."""
    if (found := _program_elf(rootfs, process)) is None:
        return None
    head = found[1]
    (machine,) = struct.unpack_from("<H" if head[5] == 1 else ">H", head, 18)
    return MACHINES.get(machine, f"ELF machine {machine}")


PT_INTERP = 3


def static_program(rootfs: Path, process: dict) -> Path | None:
    """The process's program in `rootfs` if it is statically linked (no PT_INTERP: no dynamic
    loader, so nothing it calls can be preloaded), else None."""
    if (found := _program_elf(rootfs, process)) is None:
        return None
    program, head = found
    order = "<" if head[5] == 1 else ">"
    if head[4] == 2:  # ELFCLASS64: e_phoff at 32, e_phentsize and e_phnum at 54
        (phoff,), (phentsize, phnum) = struct.unpack_from(order + "Q", head, 32), struct.unpack_from(order + "HH", head, 54)
    else:
        (phoff,), (phentsize, phnum) = struct.unpack_from(order + "I", head, 28), struct.unpack_from(order + "HH", head, 42)
    with open(program, "rb") as f:
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    types = [struct.unpack_from(order + "I", table, i * phentsize)[0] for i in range(len(table) // phentsize)]
    return None if PT_INTERP in types else program
