"""OCI runtime bundles: config.json beside rootfs/, the process taken
from the image config, the kernel profile as an annotation, and the rootfs manifest whose digest
the config records so that runu can refuse a tampered rootfs before launch."""

import json
import shutil
import subprocess
from pathlib import Path

from runu import treedigest
from unikraft_build.imageconfig import PROFILE_KEY
from runu.treedigest import DIGEST_KEY, MANIFEST, VERIFY_KEY

# Files the runtime's caller usually bind-mounts over: present so the targets exist.
_ETC = {"hostname": "{hostname}\n", "hosts": "127.0.0.1\tlocalhost {hostname}\n", "resolv.conf": ""}


def runtime_spec(base: dict, image_config: dict, hostname: str, annotations: dict[str, str]) -> dict:
    """`base` (what `runu spec` writes) running the image's command with the image's env."""
    c = image_config["config"]
    spec = json.loads(json.dumps(base))
    uid, _, gid = c["User"].partition(":")
    spec["process"].update(args=c["Cmd"], env=c["Env"], cwd=c.get("WorkingDir") or "/", terminal=False,
                           user={"uid": int(uid), "gid": int(gid or uid)})
    spec["hostname"] = hostname
    spec["annotations"] = {**spec.get("annotations", {}), **annotations}
    return spec


def write_bundle(out: Path, tree: Path, base_spec: dict, image_config: dict, hostname: str,
                 verify: bool = True) -> dict:
    """Copy `tree` to out/rootfs and write config.json and the rootfs manifest; returns the spec."""
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    rootfs = tmp / "rootfs"
    subprocess.run(["cp", "-a", str(tree), str(rootfs)], check=True)
    for name, text in _ETC.items():
        if not (rootfs / "etc" / name).exists():
            (rootfs / "etc" / name).write_text(text.format(hostname=hostname))
    manifest = treedigest.manifest(rootfs)
    (tmp / MANIFEST).write_text(manifest)
    annotations = {PROFILE_KEY: image_config["config"]["Labels"][PROFILE_KEY],
                   DIGEST_KEY: treedigest.digest(manifest), VERIFY_KEY: "true" if verify else "false"}
    spec = runtime_spec(base_spec, image_config, hostname, annotations)
    (tmp / "config.json").write_text(json.dumps(spec, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return spec
