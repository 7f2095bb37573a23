"""The library kernel's UAPI headers, renamed so that a program can include them beside libc's.

`make headers_install` gives linux/, asm/ and friends, whose names (struct
sockaddr_in, AF_INET, __u32, <linux/in.h>) are also libc's. Installed here
under lkl/, every include names lkl/..., and every name the headers define
(macros, struct, union and enum tags, typedefs, enum constants) gets a
prefix: lkl_ for lower case, LKL_ for upper case, __lkl for a leading
double underscore. Names the headers only use (compiler macros, C keywords)
stay as they are; the libc-compat guards, which drop definitions glibc also
makes, are turned off (renamed, nothing clashes).
"""

import re
import shutil
from pathlib import Path

REVISION = "1"

_DEFINE = re.compile(r"^\s*#\s*define\s+([A-Za-z_]\w*)", re.M)
_TAG = re.compile(r"\b(?:struct|union|enum)\s+([A-Za-z_]\w*)\s*\{")
_TYPEDEF = re.compile(r"\btypedef\b[^;{}]*?\(?\s*\*?\s*([A-Za-z_]\w*)\s*\)?\s*(?:\([^;]*\))?\s*(?:\[[^\];]*\])?\s*;")
_TYPEDEF_BODY = re.compile(r"\}\s*([A-Za-z_]\w*)\s*(?:\[[^\];]*\])?\s*;")
_ENUM_BODY = re.compile(r"\benum\b[^{;]*\{([^}]*)\}", re.S)
_ENUMERATOR = re.compile(r"(?:^|,)\s*([A-Za-z_]\w*)\s*(?==|,|$)", re.S)
_INCLUDE = re.compile(r"^(\s*#\s*include\s*<)([^>]+)>", re.M)
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
# Defined by the headers for the compiler's sake, or the compiler's own: never renamed.
_C_WORDS = {"void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "struct", "union",
            "enum", "const", "volatile", "static", "inline", "extern", "typedef", "sizeof", "return", "if",
            "else", "for", "while", "do", "switch", "case", "default", "break", "continue", "goto", "auto",
            "register", "restrict", "_Bool", "bool"}
_KEEP = _C_WORDS | {"__always_inline", "__attribute__", "__extension__", "__inline__", "__volatile__", "__asm__",
         "__signed__", "__user", "__force", "__iomem", "__bitwise", "__aligned_u64", "__KERNEL__",
         "__ASSEMBLY__", "__GNUC__", "__STDC__", "__cplusplus", "_GNU_SOURCE"}


def prefixed(name: str) -> str:
    if name.startswith("__"):
        return "__lkl" + name
    if name.upper() == name:
        return "LKL_" + name
    return "lkl_" + name


def defined_names(text: str) -> set[str]:
    """Every name a header defines."""
    text = _COMMENT.sub(" ", text)
    names = set(_DEFINE.findall(text)) | set(_TAG.findall(text)) | set(_TYPEDEF.findall(text))
    names |= set(_TYPEDEF_BODY.findall(text))
    for body in _ENUM_BODY.findall(text):
        body = "\n".join(line for line in body.splitlines() if not line.lstrip().startswith("#"))
        names |= set(_ENUMERATOR.findall(body))
    return names - _KEEP


def install(source: Path, dest: Path) -> list[Path]:
    """Copy source (headers_install's include/) to dest/lkl/, renamed; the files written."""
    headers = sorted(p for p in source.rglob("*.h"))
    tops = {p.relative_to(source).parts[0] for p in headers}
    names = set().union(*(defined_names(p.read_text(errors="replace")) for p in headers))

    def rename(match: re.Match) -> str:
        word = match.group(0)
        if word == "__GLIBC__":
            # linux/libc-compat.h leaves out what glibc's headers define; renamed, nothing clashes.
            return "__lkl__no_libc_clash"
        return prefixed(word) if word in names else word

    def reinclude(match: re.Match) -> str:
        path = match.group(2)
        return f"{match.group(1)}lkl/{path}>" if path.split("/")[0] in tops else match.group(0)

    written = []
    shutil.rmtree(dest / "lkl", ignore_errors=True)
    for header in headers:
        target = dest / "lkl" / header.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        text = _INCLUDE.sub(reinclude, header.read_text(errors="replace"))
        lines = [line if line.lstrip().startswith("#include") else _IDENT.sub(rename, line)
                 for line in text.splitlines(keepends=True)]
        target.write_text("".join(lines))
        written.append(target)
    return written


def syscall_numbers(*unistd: Path) -> dict[str, int]:
    """name -> number, from the generated asm/unistd_64.h and the architecture's own
    asm/unistd.h (before renaming)."""
    found = [m for path in unistd for m in re.findall(r"^#define __NR_(\w+)\s+(\d+)\s*$", path.read_text(), re.M)]
    return {name: int(number) for name, number in found}
