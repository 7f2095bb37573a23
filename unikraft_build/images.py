"""Docker images made locally from a rootfs tree (no registry is reachable): a deterministic
tarball, imported once and found again by a label holding the tarball's digest."""

import hashlib
import io
import shutil
import tarfile
import tempfile
from pathlib import Path

from unikraft_build.rootfs import busybox_rootfs

DIGEST_LABEL = "org.runu.rootfs.sha256"
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


def import_tree(client, tree: Path, tag: str, cmd: str = '["sh"]') -> str:
    """Import `tree` as image `tag` unless an image with the same content is there; returns tag."""
    data = rootfs_tarball(tree)
    digest = hashlib.sha256(data).hexdigest()
    if _existing_digest(client, tag) == digest:
        return tag
    repository, _, version = tag.rpartition(":")
    client.api.import_image_from_data(data, repository=repository, tag=version, changes=[
        f"CMD {cmd}", f"ENV {_ENV}", "WORKDIR /", f"LABEL {DIGEST_LABEL}={digest}"])
    if _existing_digest(client, tag) != digest:
        raise RuntimeError(f"docker import of {tag} did not produce the image")
    return tag


def busybox_image(client, tag: str = BUSYBOX_IMAGE, extra: dict[str, Path] | None = None) -> str:
    """A busybox-static image (every applet, root and nobody users), built and imported locally;
    `extra` maps paths in the image to host files added on top (test helpers, say)."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = busybox_rootfs(Path(tmp) / "rootfs")
        for target, source in (extra or {}).items():
            shutil.copy2(source, tree / target.lstrip("/"))
        return import_tree(client, tree, tag)
