"""Shared fixtures: a private --root per test, busybox bundles, and a leak check."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from unikraft_build.rootfs import busybox_rootfs

RUNU = str(Path(sys.executable).parent / "runu")
TESTS = Path(__file__).resolve().parent


# Where the tests' files go when the system's temporary directory cannot be idmapped (an
# overlay, as in a container): a tmpfs, so bundles are served as on a machine's own disk.
IDMAPPABLE_TMP = Path("/run/runu-tests")


def pytest_configure(config):
    from runu.idmap import unmappable

    if config.option.basetemp is None and unmappable([tempfile.gettempdir()]):
        IDMAPPABLE_TMP.mkdir(mode=0o700, exist_ok=True)
        config.option.basetemp = str(IDMAPPABLE_TMP / f"pytest-{os.getpid()}")


def pytest_collection_modifyitems(config, items):
    """Tests of real namespaces, taps, kernels and dockerd carry the `root` marker; without
    root they are skipped with that reason rather than erroring one by one."""
    needs_root = [item for item in items if TESTS / "unit" not in Path(item.fspath).parents]
    for item in needs_root:
        item.add_marker(pytest.mark.root)
        if os.geteuid() != 0:
            item.add_marker(pytest.mark.skip(reason="needs root: namespaces, taps, sandbox kernels, dockerd"))


@pytest.fixture(scope="session")
def busybox_tree(tmp_path_factory) -> Path:
    return busybox_rootfs(tmp_path_factory.mktemp("busybox") / "rootfs")


class Runu:
    """Runs the real `runu` command line against one --root."""

    def __init__(self, root: Path, netns: str | None = None):
        self.root = root
        # Run runu itself inside this network namespace (a stand-in for the host's).
        self.prefix = ["nsenter", f"--net={netns}"] if netns else []

    def __call__(self, *args, check=True, timeout=60, **kw) -> subprocess.CompletedProcess:
        # Files, not pipes: a detached container keeps its stdio open after runu exits.
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            kw.setdefault("stdout", out)
            kw.setdefault("stderr", err)
            result = subprocess.run([*self.prefix, RUNU, "--root", str(self.root), *args], timeout=timeout, **kw)
            for f, name in ((out, "stdout"), (err, "stderr")):
                f.seek(0)
                setattr(result, name, f.read())
        if check and result.returncode != 0:
            raise AssertionError(f"runu {' '.join(args)} exited {result.returncode}: {result.stderr!r}")
        return result

    def state(self, cid: str) -> dict:
        return json.loads(self("state", cid).stdout)


@pytest.fixture
def runu(tmp_path) -> Runu:
    root = tmp_path / "state"
    r = Runu(root)
    yield r
    for cid in (p.name for p in root.iterdir()) if root.exists() else ():
        r("delete", "--force", cid, check=False)


@pytest.fixture
def make_bundle(tmp_path, busybox_tree):
    """make_bundle(args, **spec_changes) -> bundle dir with a private copy of busybox."""
    counter = iter(range(1000))

    def make(args, terminal=False, edit=None) -> Path:
        bundle = tmp_path / f"bundle{next(counter)}"
        shutil.copytree(busybox_tree, bundle / "rootfs", symlinks=True)
        subprocess.run([RUNU, "spec", "--bundle", str(bundle)], check=True)
        spec = json.loads((bundle / "config.json").read_text())
        spec["process"]["args"] = args
        spec["process"]["terminal"] = terminal
        spec["root"]["readonly"] = False
        if edit:
            edit(spec)
        (bundle / "config.json").write_text(json.dumps(spec))
        return bundle

    return make


def sandbox_processes(under: Path | None = None) -> set[int]:
    """Host processes that are runu sandboxes (launchers, kernels, their helpers),
    optionally only those whose sandbox root lies under `under` (one test's own)."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            exe = os.readlink(f"/proc/{pid}/exe")
            root = os.readlink(f"/proc/{pid}/root")
        except OSError:
            continue
        if not (exe.endswith(("/runu-sandbox", "/kernel")) or "/kernels/" in exe):
            continue
        if under is None or root.startswith(str(under)):
            found.add(int(pid))
    return found


def processes_naming(path: Path) -> dict[int, str]:
    """Live processes (not zombies) whose command line names `path`: what a test started
    (a runu verb, a follower, a hook) and did not end."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            alive = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            continue
        if alive and int(pid) != os.getpid() and str(path).encode() in cmdline:
            found[int(pid)] = cmdline.replace(b"\0", b" ").decode(errors="replace").strip()
    return found


def host_links() -> set[str]:
    """Host links, less those dockerd makes and removes on its own schedule."""
    return {name for name in os.listdir("/sys/class/net") if not name.startswith(("veth", "br-"))}


def cgroup_dirs() -> set[str]:
    """Every cgroup directory of every hierarchy the host mounts."""
    from runu.cgroup.layout import hierarchies

    return {dirpath for h in hierarchies().values() for dirpath, _, _ in os.walk(h.mount)}


def id_leases_of(path: Path) -> list[str]:
    """Host id ranges leased to containers whose state lies under `path` (runu.idrange)."""
    from runu.idrange import LEASES

    leases = LEASES.iterdir() if LEASES.is_dir() else ()
    return [lease.name for lease in leases if lease.read_text().startswith(str(path))]


@pytest.fixture(autouse=True)
def no_leaks(request, tmp_path):
    """Every test must leave no sandbox process, mount, link or state behind."""
    if "noleakcheck" in request.keywords:
        yield
        return
    links = host_links()
    cgroups = cgroup_dirs()
    yield
    leaked_procs = sandbox_processes(under=tmp_path)
    assert not leaked_procs, f"sandbox processes left: {sorted(leaked_procs)}"
    left_behind = processes_naming(tmp_path)
    assert not left_behind, f"left behind: {left_behind}"
    assert host_links() == links, f"links left: {host_links() - links}"
    assert not cgroup_dirs() - cgroups, f"cgroups left: {sorted(cgroup_dirs() - cgroups)}"
    assert not id_leases_of(tmp_path), f"host id ranges left leased: {id_leases_of(tmp_path)}"
    # runu mounts only in private namespaces: nothing of this test may show on the host.
    assert str(tmp_path) not in Path("/proc/self/mountinfo").read_text(), "mounts left on the host"
    state = tmp_path / "state"
    left = [p for p in state.iterdir() if p.name != "events.jsonl"] if state.exists() else []
    assert not left, f"state left: {left}"
