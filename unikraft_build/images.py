"""Docker images made locally from a rootfs tree (no registry is reachable): a deterministic
tarball, imported once and found again by a label holding the digest of the tarball and the
image settings it was imported with."""

import hashlib
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from unikraft_build.rootfs import busybox_rootfs

DIGEST_LABEL = "org.runu.import.sha256"
BUSYBOX_IMAGE = "runu/busybox:latest"
_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def _normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """Same tree, same bytes: no timestamps, no host owners."""
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info


def rootfs_tarball(tree: Path) -> bytes:
    """The tree as an uncompressed tar, entries sorted, reproducible byte for byte."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(tree.rglob("*")):
            tar.add(path, arcname=str(path.relative_to(tree)), recursive=False, filter=_normalized)
    return out.getvalue()


def _existing_digest(client, tag: str) -> str | None:
    from docker.errors import ImageNotFound
    try:
        return (client.images.get(tag).labels or {}).get(DIGEST_LABEL)
    except ImageNotFound:
        return None


def import_tarball(client, data: bytes, tag: str, changes: list[str]) -> bool:
    """Import the rootfs tarball `data` as `tag` with Dockerfile-style `changes`, unless an image
    made from the same bytes and changes is there; True if it imported."""
    h = hashlib.sha256(data)
    for change in changes:
        h.update(b"\0" + change.encode())
    digest = h.hexdigest()
    if _existing_digest(client, tag) == digest:
        return False
    repository, _, version = tag.rpartition(":")
    client.api.import_image_from_data(data, repository=repository, tag=version,
                                      changes=[*changes, f"LABEL {DIGEST_LABEL}={digest}"])
    if _existing_digest(client, tag) != digest:
        raise RuntimeError(f"docker import of {tag} did not produce the image")
    return True


def import_tree(client, tree: Path, tag: str, cmd: str = '["sh"]') -> str:
    """Import `tree` as image `tag` unless an image with the same content is there; returns tag."""
    import_tarball(client, rootfs_tarball(tree), tag, [f"CMD {cmd}", f"ENV {_ENV}", "WORKDIR /"])
    return tag


def busybox_image(client, tag: str = BUSYBOX_IMAGE, extra: dict[str, Path] | None = None) -> str:
    """A busybox-static image (every applet, root and nobody users), built and imported locally;
    `extra` maps paths in the image to host files added on top (test helpers, say)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = busybox_rootfs(Path(tmp) / "rootfs")
        for target, source in (extra or {}).items():
            shutil.copy2(source, tree / target.lstrip("/"))
        return import_tree(client, tree, tag)
