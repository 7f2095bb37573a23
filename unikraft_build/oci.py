"""OCI image layouts (image-spec v1.1): oci-layout, index.json and content-addressed blobs
(manifest, config, one gzip layer), each descriptor's digest and size taken from the bytes."""

import gzip
import hashlib
import json
import shutil
from pathlib import Path

from rich.console import Console

from unikraft_build.images import rootfs_tarball

MEDIA_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
console = Console(stderr=True)


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer(tree: Path, cache: Path) -> tuple[bytes, str, bytes]:
    """(tar, diff_id, tar.gz) of `tree`; the gzip is kept in `cache` beside the tree."""
    tar = rootfs_tarball(tree)
    diff_id = sha256(tar)
    gz_path = cache / f"layer-{diff_id[7:23]}.tar.gz"
    if not gz_path.exists():
        with console.status(f"compressing the layer ({len(tar) / 1e6:.0f} MB)"):
            gz_path.with_suffix(".tmp").write_bytes(gzip.compress(tar, compresslevel=6, mtime=0))
        gz_path.with_suffix(".tmp").replace(gz_path)
    return tar, diff_id, gz_path.read_bytes()


def _blob(layout: Path, media_type: str, data: bytes) -> dict:
    digest = sha256(data)
    path = layout / "blobs" / "sha256" / digest[7:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def _json(obj: dict) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def write_layout(out: Path, config: dict, layer_gz: bytes, ref: str, annotations: dict[str, str]) -> str:
    """Write the layout to `out` (replacing it whole); returns the manifest's digest."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": _blob(tmp, MEDIA_CONFIG, _json(config)),
        "layers": [_blob(tmp, MEDIA_LAYER, layer_gz)],
        "annotations": annotations,
    }
    manifest_desc = _blob(tmp, MEDIA_MANIFEST, _json(manifest))
    index = {"schemaVersion": 2, "mediaType": MEDIA_INDEX,
             "manifests": [{**manifest_desc, "annotations": {REF_NAME: ref}}]}
    (tmp / "index.json").write_bytes(_json(index))
    (tmp / "oci-layout").write_bytes(_json({"imageLayoutVersion": "1.0.0"}))
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return manifest_desc["digest"]
