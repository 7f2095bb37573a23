"""Integrity before launch (image verification): a bundle whose annotation
org.runu.verify is "true" must carry a rootfs manifest matching org.runu.rootfs.digest, and its
rootfs must match the manifest entry by entry. The walk stops at the first difference, which the
error names; nothing is read twice."""

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
    problem = _first_difference(rootfs_path(bundle, spec), text.splitlines())
    if problem:
        raise RunuError(f"integrity: rootfs differs from {DIGEST_KEY}: {problem}")
