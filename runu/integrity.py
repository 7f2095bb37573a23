"""Integrity before launch (image verification): a bundle whose annotation
org.runu.verify is "true" must carry a rootfs manifest matching org.runu.rootfs.digest, and its
rootfs must match the manifest entry by entry. The walk stops at the first difference, which the
error names; nothing is read twice.

Hashing a rootfs costs more than the rest of create (120 ms for python-listen's), so a tree
found intact is remembered by what stat says of every entry (inode, mode, size, mtime, ctime):
while all of that stays the same, nothing was written, and the tree is not hashed again. A
write sets ctime, which no caller can set back; entries changed within CTIME_SETTLE_S of the
check are too recent to vouch for (the clock may not have moved between a write and the hash),
and a tree holding one is not remembered."""

import os
import time
from itertools import zip_longest
from pathlib import Path

from runu.errors import RunuError
from runu.spec import rootfs_path
from runu import treedigest
from runu.treedigest import DIGEST_KEY, MANIFEST, VERIFY_KEY


def _order(path: str) -> tuple[bytes, ...]:
    """The walk's order: depth first, names sorted byte-wise within a directory."""
    return tuple(part.encode() for part in path.split("/"))


def _first_difference(rootfs: Path, recorded: list[str]) -> str | None:
    recorded_entries = ((treedigest.entry_path(line), line) for line in recorded)
    for actual, expected in zip_longest(treedigest.walk(rootfs), recorded_entries):
        if actual == expected:
            continue
        if actual is None:
            return f"{expected[0]} is missing"
        if expected is None or _order(actual[0]) < _order(expected[0]):
            return f"{actual[0]} is not in the manifest"
        if actual[0] != expected[0]:
            return f"{expected[0]} is missing"
        return f"{actual[0]} differs"
    return None


VERIFIED = Path(os.environ.get("RUNU_VERIFIED", "/run/runu-verified"))
CTIME_SETTLE_S = 1.0


def _stat_signature(rootfs: Path, want: str) -> tuple[str, int]:
    """A digest of every entry's stat facts (and of the digest they must match), and the
    newest ctime among them (ns)."""
    h = treedigest.quick_sha256(f"{rootfs}\0{want}\0".encode())
    newest = 0
    stack = [str(rootfs)]
    while stack:
        with os.scandir(stack.pop()) as it:
            for entry in it:
                st = entry.stat(follow_symlinks=False)
                h.update(f"{entry.path}\0{st.st_ino} {st.st_mode} {st.st_size} {st.st_mtime_ns} "
                         f"{st.st_ctime_ns}\0".encode())
                newest = max(newest, st.st_ctime_ns)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return h.hexdigest(), newest


def _remembered(signature: str) -> Path:
    return VERIFIED / signature


def verify(bundle: Path, spec: dict) -> None:
    """Raise RunuError naming the first differing path when verification is asked and fails."""
    annotations = spec.get("annotations", {})
    if annotations.get(VERIFY_KEY) != "true":
        return
    want = annotations.get(DIGEST_KEY)
    if not want:
        raise RunuError(f"{VERIFY_KEY} is true but the bundle has no {DIGEST_KEY} annotation")
    try:
        text = (bundle / MANIFEST).read_text()
    except FileNotFoundError:
        raise RunuError(f"{VERIFY_KEY} is true but {bundle / MANIFEST} does not exist") from None
    if treedigest.digest(text) != want:
        raise RunuError(f"integrity: {bundle / MANIFEST} does not match {DIGEST_KEY}")
    rootfs = rootfs_path(bundle, spec)
    signature, newest_ctime = _stat_signature(rootfs, want)
    if _remembered(signature).exists():
        return
    problem = _first_difference(rootfs, text.splitlines())
    if problem:
        raise RunuError(f"integrity: rootfs differs from {DIGEST_KEY}: {problem}")
    if time.time_ns() - newest_ctime > CTIME_SETTLE_S * 1e9:
        VERIFIED.mkdir(mode=0o700, exist_ok=True)
        _remembered(signature).touch()
