"""A canonical walk of a directory tree: one line per entry, depth first, names sorted byte-wise,
with the entry's type, permission bits and symlink target or content hash. Owners and times are
left out: copies and Docker layers do not keep them alike. The sha256 of the lines is the
tree's digest: a bundle records it and runu checks it before launch (image verification)."""

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

CHUNK = 1 << 20
# How a bundle records its rootfs: the manifest file beside rootfs/ and two annotations.
MANIFEST = "rootfs.manifest"
DIGEST_KEY = "org.runu.rootfs.digest"
VERIFY_KEY = "org.runu.verify"
_DECODER = json.JSONDecoder()


def _file_hash(path: str) -> str:
    import hashlib  # here: every create imports this module, few verify (hashlib costs 5 ms)

    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _describe(path: str, st: os.stat_result) -> str:
    mode = f"{stat.S_IMODE(st.st_mode):04o}"
    if stat.S_ISLNK(st.st_mode):
        return f"l {mode} {json.dumps(os.readlink(path))}"
    if stat.S_ISDIR(st.st_mode):
        return f"d {mode}"
    if stat.S_ISREG(st.st_mode):
        return f"f {mode} {_file_hash(path)}"
    return f"o {mode} {stat.S_IFMT(st.st_mode):o} {st.st_rdev}"


def walk(root: Path, rel: str = "") -> Iterator[tuple[str, str]]:
    """(path inside the tree, its manifest line), in canonical order."""
    with os.scandir(os.path.join(root, rel) if rel else root) as it:
        entries = sorted(it, key=lambda e: os.fsencode(e.name))
    for entry in entries:
        path = f"{rel}/{entry.name}" if rel else entry.name
        st = entry.stat(follow_symlinks=False)
        yield "/" + path, f"{json.dumps('/' + path)} {_describe(entry.path, st)}"
        if stat.S_ISDIR(st.st_mode):
            yield from walk(root, path)


def manifest(root: Path) -> str:
    return "".join(line + "\n" for _, line in walk(root))


def digest(manifest_text: str) -> str:
    return "sha256:" + quick_sha256(manifest_text.encode()).hexdigest()


def quick_sha256(data: bytes):
    """sha256 for create's few hundred KB: the interpreter's built-in implementation, since
    hashlib's import loads OpenSSL (about 5 ms of a create); hashlib's where Python has none
    under that name (3.12 renamed it)."""
    try:
        from _sha256 import sha256
    except ImportError:
        from hashlib import sha256
    return sha256(data)


def entry_path(line: str) -> str:
    """The path a manifest line describes (it starts as a JSON string)."""
    return _DECODER.raw_decode(line)[0]
