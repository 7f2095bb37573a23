"""One start of the python-listen bundle by an OCI runtime's `run`, without Docker, timed
from the runtime's launch until the workload greets on eth0 of a fresh network namespace."""

import itertools
import json
import shutil
import subprocess
import time
from pathlib import Path

from benchmarks.probe import wait_ready
from benchmarks.startup.netns import GUEST_IP, veth_netns

PORT = 8080
READY_TIMEOUT = 60
_ids = itertools.count()


def prepare(bundle: Path, workdir: Path, own_rootfs: bool, annotations: dict | None = None) -> Path:
    """A bundle directory whose config points at `bundle`'s rootfs (or, for runtimes that may
    touch it, at a private copy, so runu's rootfs digest stays valid) and at a netns to come,
    with `annotations` added (e.g. runu's sandbox kind)."""
    workdir.mkdir(parents=True)
    rootfs = bundle / "rootfs"
    if own_rootfs:
        shutil.copytree(rootfs, workdir / "rootfs", symlinks=True)
        rootfs = workdir / "rootfs"
    if (bundle / "rootfs.manifest").exists():  # what runu checks the digest against
        shutil.copy(bundle / "rootfs.manifest", workdir)
    spec = json.loads((bundle / "config.json").read_text())
    spec["root"]["path"] = str(rootfs)
    spec["annotations"] = {**spec.get("annotations", {}), **(annotations or {})}
    (workdir / "config.json").write_text(json.dumps(spec))
    return workdir


def _with_netns(bundle: Path, netns_path: str) -> None:
    spec = json.loads((bundle / "config.json").read_text())
    spec["linux"]["namespaces"] = [ns for ns in spec["linux"]["namespaces"] if ns["type"] != "network"]
    spec["linux"]["namespaces"].append({"type": "network", "path": netns_path})
    (bundle / "config.json").write_text(json.dumps(spec))


def run_to_ready(binary: str, state_root: Path, bundle: Path) -> float:
    """`BINARY run` in the background until the workload greets; then kill and delete it."""
    n = next(_ids)
    cid = f"rb{n}"
    with veth_netns(f"rbench{n}") as netns_path:
        _with_netns(bundle, netns_path)
        cmd = [binary, "--root", str(state_root)]
        started = time.monotonic()
        proc = subprocess.Popen([*cmd, "run", "--bundle", str(bundle), cid], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            try:
                return wait_ready(GUEST_IP, PORT, READY_TIMEOUT, alive=lambda: proc.poll() is None) - started
            except RuntimeError:
                raise RuntimeError(proc.communicate()[1].decode(errors="replace").strip()) from None
        finally:
            subprocess.run([*cmd, "kill", cid, "KILL"], capture_output=True)
            proc.wait(timeout=30)
            subprocess.run([*cmd, "delete", "--force", cid], capture_output=True)
            _remove_left_cgroup(cid)


def _remove_left_cgroup(cid: str) -> None:
    """The empty cgroup a runtime whose create failed may leave behind (runsc-kvm does, on a host
    without KVM): named after the container, in every hierarchy. One still in use stays."""
    from runu.cgroup.layout import hierarchies

    for hierarchy in hierarchies().values():
        try:
            (Path(hierarchy.mount) / cid).rmdir()
        except OSError:  # not there, or not empty: not ours to remove
            pass
