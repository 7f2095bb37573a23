"""A bundle that asks for verification (org.runu.verify) runs while its rootfs matches its
manifest, and is refused at create, naming the file, once anything in it was written, even
after a create that found it intact and remembered it."""

import json
import os
import time

from runu import treedigest


def verified(bundle):
    """Record the bundle's rootfs as built (manifest and digest) and ask runu to check it."""
    manifest = treedigest.manifest(bundle / "rootfs")
    (bundle / treedigest.MANIFEST).write_text(manifest)
    spec = json.loads((bundle / "config.json").read_text())
    spec.setdefault("annotations", {}).update({treedigest.VERIFY_KEY: "true",
                                               treedigest.DIGEST_KEY: treedigest.digest(manifest)})
    (bundle / "config.json").write_text(json.dumps(spec))
    return bundle


def test_a_remembered_rootfs_is_still_refused_once_written(runu, make_bundle, tmp_path):
    env = {**os.environ, "RUNU_VERIFIED": str(tmp_path / "verified")}
    bundle = verified(make_bundle(["true"]))
    time.sleep(1.2)  # older than the second within which a tree is not vouched for
    assert runu("run", "--bundle", str(bundle), "c1", env=env).returncode == 0
    assert len(os.listdir(tmp_path / "verified")) == 1  # found intact, remembered
    assert runu("run", "--bundle", str(bundle), "c2", env=env).returncode == 0

    target = bundle / "rootfs" / "bin" / "busybox"
    before = target.stat()
    with open(target, "r+b") as f:
        f.write(b"\x7fELX")  # four bytes, same size
    os.utime(target, ns=(before.st_atime_ns, before.st_mtime_ns))  # and its time put back
    refused = runu("create", "--bundle", str(bundle), "c3", env=env, check=False)
    assert (refused.returncode, refused.stderr) == (
        1, b"runu: integrity: rootfs differs from org.runu.rootfs.digest: /bin/busybox differs\n")
    assert not (runu.root / "c3").exists()
