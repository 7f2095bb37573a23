"""Docker images made locally from a rootfs tree (no registry is reachable): a deterministic
tarball, imported once and found again by a label holding the digest of the tarball and the
image settings it was imported with."""

import hashlib
import io
import json
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


def _present(client, tag: str, digest: str, make) -> bool:
    """make() unless `tag` is an image made from the inputs of `digest`; True if it made one."""
    if _existing_digest(client, tag) == digest:
        return False
    make()
    if _existing_digest(client, tag) != digest:
        raise RuntimeError(f"docker could not store {tag}")
    return True


def _digest(data: bytes, *settings: str) -> str:
    h = hashlib.sha256(data)
    for setting in settings:
        h.update(b"\0" + setting.encode())
    return h.hexdigest()


def import_tarball(client, data: bytes, tag: str, changes: list[str]) -> bool:
    """Import the rootfs tarball `data` as `tag` (of the host's platform) with Dockerfile-style
    `changes`, unless an image made from the same bytes and changes is there; True if it imported."""
    digest = _digest(data, *changes)
    repository, _, version = tag.rpartition(":")
    return _present(client, tag, digest, lambda: client.api.import_image_from_data(
        data, repository=repository, tag=version, changes=[*changes, f"LABEL {DIGEST_LABEL}={digest}"]))


def load_tarball(client, data: bytes, tag: str, config: dict) -> bool:
    """Load the rootfs tarball `data` as `tag` with the image config `config` (OCI's form, whose
    architecture may be another than the host's: an import is always the host's platform), unless
    an image made from the same bytes and config is there; True if it loaded."""
    digest = _digest(data, json.dumps(config, sort_keys=True))
    settings = config["config"]
    config = {**config, "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(data).hexdigest()]},
              "config": {**settings, "Labels": {**settings.get("Labels", {}), DIGEST_LABEL: digest}}}
    return _present(client, tag, digest, lambda: client.images.load(_image_archive(data, tag, config)))


def _image_archive(layer: bytes, tag: str, config: dict) -> bytes:
    """A `docker save` archive of one layer and its image config."""
    manifest = json.dumps([{"Config": "config.json", "RepoTags": [tag], "Layers": ["layer.tar"]}]).encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        for name, body in (("config.json", json.dumps(config).encode()), ("layer.tar", layer),
                           ("manifest.json", manifest)):
            info = tarfile.TarInfo(name)
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return out.getvalue()


def import_tree(client, tree: Path, tag: str, arch: str | None = None) -> str:
    """`tree` as image `tag` running sh (of `arch`, Debian's name, if not the host's), unless an
    image with the same content is there; returns tag."""
    data = rootfs_tarball(tree)
    if arch is None:
        import_tarball(client, data, tag, ['CMD ["sh"]', f"ENV {_ENV}", "WORKDIR /"])
    else:
        load_tarball(client, data, tag, {"architecture": arch, "os": "linux",
                                         "config": {"Cmd": ["sh"], "Env": [_ENV], "WorkingDir": "/"}})
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
        return import_tree(client, tree, tag, arch)
