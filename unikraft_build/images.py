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


def import_tarball(client, data: bytes, tag: str, changes: list[str], platform: str | None = None) -> bool:
    """Import the rootfs tarball `data` as `tag` with Dockerfile-style `changes` (for `platform`,
    e.g. linux/arm64, if not the host's), unless an image made from the same bytes and changes
    is there; True if it imported."""
    h = hashlib.sha256(data)
    for change in (*changes, platform or ""):
        h.update(b"\0" + change.encode())
    digest = h.hexdigest()
    if _existing_digest(client, tag) == digest:
        return False
    repository, _, version = tag.rpartition(":")
    changes = [*changes, f"LABEL {DIGEST_LABEL}={digest}"]
    if platform is None:
        client.api.import_image_from_data(data, repository=repository, tag=version, changes=changes)
    else:  # an import is always the host's platform (dockerd 20.10): load an image archive instead
        client.images.load(_image_archive(data, tag, changes, platform))
    if _existing_digest(client, tag) != digest:
        raise RuntimeError(f"docker import of {tag} did not produce the image")
    return True


def _image_archive(layer: bytes, tag: str, changes: list[str], platform: str) -> bytes:
    """A `docker save` archive of one layer, whose config says `platform` and what `changes`
    (CMD, ENV, WORKDIR, LABEL lines, as import takes them) say."""
    import json

    os_name, arch = platform.split("/")
    settings: dict = {"Labels": {}}
    for change in changes:
        word, _, value = change.partition(" ")
        if word == "CMD":
            settings["Cmd"] = json.loads(value)
        elif word == "ENV":
            settings.setdefault("Env", []).append(value)
        elif word == "WORKDIR":
            settings["WorkingDir"] = value
        elif word == "LABEL":
            key, _, label = value.partition("=")
            settings["Labels"][key] = label
    config = json.dumps({"architecture": arch, "os": os_name, "config": settings,
                         "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(layer).hexdigest()]}}).encode()
    manifest = json.dumps([{"Config": "config.json", "RepoTags": [tag], "Layers": ["layer.tar"]}]).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in (("config.json", config), ("layer.tar", layer), ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def import_tree(client, tree: Path, tag: str, cmd: str = '["sh"]', platform: str | None = None) -> str:
    """Import `tree` as image `tag` unless an image with the same content is there; returns tag."""
    import_tarball(client, rootfs_tarball(tree), tag, [f"CMD {cmd}", f"ENV {_ENV}", "WORKDIR /"], platform)
    return tag


def busybox_image(client, tag: str = BUSYBOX_IMAGE, extra: dict[str, Path] | None = None,
                  arch: str | None = None) -> str:
    """A busybox-static image (every applet, root and nobody users), built and imported locally;
    `extra` maps paths in the image to host files added on top (test helpers, say); `arch`
    (Debian's name, e.g. arm64) makes it an image of that platform."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = busybox_rootfs(Path(tmp) / "rootfs", arch)
        for target, source in (extra or {}).items():
            shutil.copy2(source, tree / target.lstrip("/"))
        return import_tree(client, tree, tag, platform=f"linux/{arch}" if arch else None)
