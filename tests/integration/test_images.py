"""The builder's outputs without Docker: every recipe builds (and rebuilds as a cache hit), the
OCI layout is valid (media types, digests and sizes recomputed from the bytes), the bundle runs
with `runu run` on its recipe's kernel profile, and a tampered bundle is refused."""

import gzip
import hashlib
import json
import shutil
import time
from pathlib import Path

import pytest

from unikraft_build.targets import build_image
from unikraft_build import oci, recipe
from unikraft_build.imageconfig import PROFILE_ENV, PROFILE_KEY


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("name", recipe.names())
def test_recipe_builds_then_rebuilds_from_cache(name):
    first = build_image(name, "oci")
    again = build_image(name, "oci")
    assert again.cached and again.seconds < 5, f"rebuild took {again.seconds} s"
    config = first.config["config"]
    assert config["Labels"][PROFILE_KEY] == first.recipe.profile
    assert f"{PROFILE_ENV}={first.recipe.profile}" in config["Env"]


def blob(layout, descriptor) -> bytes:
    algorithm, hexdigest = descriptor["digest"].split(":")
    data = (layout / "blobs" / algorithm / hexdigest).read_bytes()
    assert sha256(data) == descriptor["digest"] and len(data) == descriptor["size"], descriptor
    return data


def test_oci_layout_validates():
    built = build_image("vsilo-mqtt", "oci")
    layout = Path(built.where)
    assert json.loads((layout / "oci-layout").read_text()) == {"imageLayoutVersion": "1.0.0"}
    index = json.loads((layout / "index.json").read_text())
    assert index["schemaVersion"] == 2 and index["mediaType"] == oci.MEDIA_INDEX
    [entry] = index["manifests"]
    assert entry["mediaType"] == oci.MEDIA_MANIFEST and entry["annotations"][oci.REF_NAME] == "latest"
    manifest = json.loads(blob(layout, entry))
    assert manifest["mediaType"] == oci.MEDIA_MANIFEST and manifest["schemaVersion"] == 2
    assert manifest["annotations"][PROFILE_KEY] == "tiny"
    assert manifest["config"]["mediaType"] == oci.MEDIA_CONFIG
    config = json.loads(blob(layout, manifest["config"]))
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    [layer] = manifest["layers"]
    assert layer["mediaType"] == oci.MEDIA_LAYER
    tar = gzip.decompress(blob(layout, layer))
    assert config["rootfs"] == {"type": "layers", "diff_ids": [sha256(tar)]}
    assert b"usr/sbin/mosquitto" in tar
    referenced = {entry["digest"], manifest["config"]["digest"], layer["digest"]}
    stored = {f"sha256:{p.name}" for p in (layout / "blobs" / "sha256").iterdir()}
    assert stored == referenced


@pytest.fixture
def bundle_copy(tmp_path):
    """A private copy of a built bundle (the tests edit or tamper with it)."""
    def copy(name, profile=None, args=None):
        built = build_image(name, "bundle", profile)
        dest = tmp_path / f"{name}-{profile}"
        shutil.copytree(built.where, dest, symlinks=True)
        if args:
            spec = json.loads((dest / "config.json").read_text())
            spec["process"]["args"] = args
            (dest / "config.json").write_text(json.dumps(spec))
        return dest
    return copy


def test_bundle_runs_with_runu_run(runu, bundle_copy):
    result = runu("run", "--bundle", str(bundle_copy("hello")), "hello")
    assert result.stdout.decode().startswith("hello from Linux 7.")


@pytest.mark.parametrize("profile, expected", [("tiny", "no ipv6"), ("default", "ipv6")])
def test_bundle_boots_its_profile(runu, bundle_copy, profile, expected):
    """The annotation picks the kernel: tiny has no IPv6, default has."""
    bundle = bundle_copy("hello", profile, ["sh", "-c", "test -d /proc/sys/net/ipv6 && echo ipv6 || echo no ipv6"])
    assert json.loads((bundle / "config.json").read_text())["annotations"][PROFILE_KEY] == profile
    assert runu("run", "--bundle", str(bundle), f"p-{profile}").stdout.decode().strip() == expected


def test_tampered_bundle_is_refused(runu, bundle_copy):
    bundle = bundle_copy("hello")
    with (bundle / "rootfs" / "etc" / "passwd").open("a") as f:
        f.write("intruder:x:0:0::/:/bin/sh\n")
    started = time.monotonic()
    result = runu("create", "--bundle", str(bundle), "tampered", check=False)
    assert result.returncode == 1
    assert b"/etc/passwd differs" in result.stderr and result.stderr.count(b"\n") == 1
    assert time.monotonic() - started < 5
    assert not (runu.root / "tampered").exists()


def test_silo_bundle_logs_a_vthing_under_runu(runu, bundle_copy):
    """The silo's broker and controller on the tiny kernel, fed from inside the same guest."""
    feed = ("/usr/local/bin/vsilo & for i in $(seq 30); do "
            "mosquitto_pub -h 127.0.0.1 -t vThing/probe/data -m 1 2>/dev/null; sleep 0.1; done; kill $!; wait")
    out = runu("run", "--bundle", str(bundle_copy("vsilo-mqtt", args=["sh", "-c", feed])), "silo").stdout.decode()
    assert "broker ready" in out and "vThing probe attached (1 in silo)" in out, out


def test_thingvisor_bundle_makes_ngsi_ld_under_runu(runu, bundle_copy):
    code = ("import json, sys; sys.path.insert(0, '/usr/local/bin'); import thingvisor; "
            "print(json.dumps(thingvisor.entity('thermometer', 3)))")
    out = runu("run", "--bundle", str(bundle_copy("thingvisor-sensor", args=["python3", "-c", code])), "tv").stdout
    entity = json.loads(out)
    assert entity["type"] == "Thermometer" and entity["temperature"]["value"] == 22.4
