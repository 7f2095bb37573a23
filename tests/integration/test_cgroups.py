"""The container's cgroup: where the sandbox lives, what bounds it, and the verbs that use it
(pause, resume, update, events --stats, ps), checked from the host as an operator would."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from runu.cgroup.layout import controller_home, hierarchies
from runu.sandbox.uml import UmlSandbox
from tests.conftest import RUNU

LOOP = ["sh", "-c", "while :; do :; done"]
OVERHEAD = UmlSandbox.memory_overhead


def cgroup_file(pid: int, controller: str, name: str) -> Path:
    """A file of `controller` in the cgroup that `pid` is in, seen from the host."""
    home = controller_home(hierarchies(), controller)
    own = dict(line.split(":", 2)[1:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    return home.mount / own[home.key].lstrip("/") / name


def read(pid: int, controller: str, name: str) -> str:
    return cgroup_file(pid, controller, name).read_text().strip()


def detached(runu, make_bundle, cid: str, args=LOOP, edit=None) -> int:
    """Run `cid` detached, once its guest has booted (run returns before: the set of the
    sandbox's processes settles then)."""
    runu("run", "-d", "-b", str(make_bundle(args, edit=edit)), cid, stdin=open(os.devnull))
    deadline = time.monotonic() + 30
    while b"ready" not in (runu.root / cid / "ready").read_bytes():
        assert time.monotonic() < deadline, "the guest did not become ready"
        time.sleep(0.01)
    return runu.state(cid)["pid"]


def with_linux(**fields):
    def edit(spec):
        spec["linux"].update(fields)
    return edit


@pytest.fixture
def cgroup_base():
    """An absolute cgroup parent of this test's own, removed (in every hierarchy) at the end."""
    name = f"runu-test-{os.getpid()}"
    yield name
    for h in hierarchies().values():
        for d in (h.mount / name / "runu.slice" / "runu-cg.slice", h.mount / name / "runu.slice", h.mount / name):
            try:
                d.rmdir()
            except FileNotFoundError:
                pass


def test_every_sandbox_process_lives_in_the_cgroup_the_spec_names(runu, make_bundle, cgroup_base):
    pid = detached(runu, make_bundle, "c1", edit=with_linux(cgroupsPath=f"/{cgroup_base}/c1"))
    procs = [int(p) for p in read(pid, "pids", "cgroup.procs").split()]
    assert pid in procs and len(procs) >= 3  # the kernel, its helpers, the guest's address spaces
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        assert line.split(":", 2)[2] == f"/{cgroup_base}/c1", line
    # runc ps --format json: the host pids of the sandbox.
    assert json.loads(runu("ps", "--format", "json", "c1").stdout) == sorted(procs)
    dirs = [h.mount / cgroup_base / "c1" for h in hierarchies().values()]
    runu("delete", "--force", "c1")
    assert not [d for d in dirs if d.exists()]


def test_systemd_cgroup_path_becomes_the_scope_systemd_would_make(runu, make_bundle, cgroup_base):
    """slice:prefix:name -> /<slice path>/<prefix>-<name>.scope (this host has no systemd to
    ask: the directories are made directly, as cgroupfs would)."""
    bundle = make_bundle(LOOP, edit=with_linux(cgroupsPath="runu-cg.slice:runu:c1"))
    runu("--systemd-cgroup", "run", "-d", "-b", str(bundle), "c1", stdin=open(os.devnull))
    pid = runu.state("c1")["pid"]
    paths = {line.split(":", 2)[2] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()}
    assert paths == {"/runu.slice/runu-cg.slice/runu-c1.scope"}
    runu("delete", "--force", "c1")
    for h in hierarchies().values():
        (h.mount / "runu.slice" / "runu-cg.slice").rmdir()
        (h.mount / "runu.slice").rmdir()


@pytest.mark.parametrize("path", ["no-colons", "a:b", "bad/slice.slice:runu:c1", "x.slice:runu:"])
def test_a_cgroups_path_systemd_cannot_take_is_one_line_and_leaves_nothing(runu, make_bundle, path):
    bundle = make_bundle(["true"], edit=with_linux(cgroupsPath=path))
    result = runu("--systemd-cgroup", "create", "-b", str(bundle), "c1", check=False)
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and b"cgroupsPath" in result.stderr


def test_resources_reach_the_host_cgroup(runu, make_bundle):
    resources = {"cpu": {"shares": 512, "quota": 30000, "period": 100000, "cpus": "0"},
                 "memory": {"limit": 96 << 20}, "pids": {"limit": 64}}
    pid = detached(runu, make_bundle, "c1", edit=with_linux(resources=resources))
    assert read(pid, "cpu", "cpu.shares") == "512"
    assert read(pid, "cpu", "cpu.cfs_quota_us") == "30000"
    assert read(pid, "cpu", "cpu.cfs_period_us") == "100000"
    assert read(pid, "cpuset", "cpuset.cpus") == "0"
    assert read(pid, "pids", "pids.max") == str(64 + UmlSandbox.pids_overhead)
    # The guest's memory plus the sandbox's own overhead: the host bounds all of it.
    assert int(read(pid, "memory", "memory.limit_in_bytes")) == (96 << 20) + OVERHEAD


def test_a_guest_without_a_memory_limit_is_still_bounded_on_the_host(runu, make_bundle):
    pid = detached(runu, make_bundle, "c1")
    assert int(read(pid, "memory", "memory.limit_in_bytes")) == (256 << 20) + OVERHEAD


def _cpu_seconds(pid: int) -> float:
    return int(read(pid, "cpuacct", "cpuacct.usage")) / 1e9


def test_a_busy_loop_under_half_a_cpu_gets_about_half(runu, make_bundle, record_property):
    pid = detached(runu, make_bundle, "c1", edit=with_linux(resources={"cpu": {"quota": 50000, "period": 100000}}))
    time.sleep(1)  # boot
    before, t0 = _cpu_seconds(pid), time.monotonic()
    time.sleep(3)
    share = (_cpu_seconds(pid) - before) / (time.monotonic() - t0)
    record_property("cpu_share_under_quota_0.5", round(share, 3))
    print(f"busy loop under --cpus=0.5: {share:.3f} CPUs")
    # Bounded near half a CPU (the loop alone would take a whole one), and running.
    assert 0.05 < share < 0.75


@pytest.mark.parametrize("limit", [12, 0])
def test_pids_limit_bounds_the_sandbox_processes(runu, make_bundle, limit):
    """Each guest address space is a host process: under the limit the guest's fork fails
    (busybox sh gives up with "can't fork"); without it all 30 start."""
    script = "i=0; while [ $i -lt 30 ]; do sleep 30 & i=$((i+1)); done; echo started $i; kill $(jobs -p)"
    bundle = make_bundle(["sh", "-c", script], edit=with_linux(resources={"pids": {"limit": limit}}))
    result = runu("run", "-b", str(bundle), "c1", check=False)
    if limit:
        assert result.returncode == 2 and b"can't fork" in result.stderr
    else:
        assert result.returncode == 0 and result.stdout.strip() == b"started 30"


def _counter(tmp_path: Path) -> int:
    """The guest appends a line per count: the file's size only grows while it runs."""
    return (tmp_path / "out" / "count").stat().st_size


def test_pause_freezes_a_counter_that_resume_lets_run_on(runu, make_bundle, tmp_path):
    (tmp_path / "out").mkdir()
    mount = {"destination": "/out", "type": "bind", "source": str(tmp_path / "out"), "options": ["rbind", "rw"]}
    script = "i=0; while :; do i=$((i+1)); echo $i >> /out/count; done"
    bundle = make_bundle(["sh", "-c", script], edit=lambda s: s["mounts"].append(mount))
    runu("run", "-d", "-b", str(bundle), "c1", stdin=open(os.devnull))
    time.sleep(2)
    runu("pause", "c1")
    assert runu.state("c1")["status"] == "paused"
    frozen = _counter(tmp_path)
    assert frozen > 0
    time.sleep(1)
    assert _counter(tmp_path) == frozen
    assert runu("pause", "c1", check=False).returncode == 1  # runc: only a running container pauses
    runu("resume", "c1")
    assert runu.state("c1")["status"] == "running"
    time.sleep(1)
    assert _counter(tmp_path) > frozen
    assert runu("resume", "c1", check=False).returncode == 1


def test_delete_force_ends_a_paused_container(runu, make_bundle):
    detached(runu, make_bundle, "c1")
    runu("pause", "c1")
    runu("delete", "--force", "c1")


def test_update_changes_cpu_and_pids_and_refuses_another_memory(runu, make_bundle, tmp_path):
    pid = detached(runu, make_bundle, "c1", edit=with_linux(resources={"memory": {"limit": 64 << 20}}))
    runu("update", "--cpu-quota", "20000", "--cpu-period", "100000", "--pids-limit", "30", "c1")
    assert read(pid, "cpu", "cpu.cfs_quota_us") == "20000"
    assert read(pid, "pids", "pids.max") == str(30 + UmlSandbox.pids_overhead)
    # containerd's form: the resources as JSON on stdin.
    (tmp_path / "r.json").write_text(json.dumps({"cpu": {"shares": 300}, "pids": {"limit": 25}}))
    with open(tmp_path / "r.json") as resources:
        runu("update", "--resources", "-", "c1", stdin=resources)
    assert read(pid, "cpu", "cpu.shares") == "300" and read(pid, "pids", "pids.max") == str(25 + UmlSandbox.pids_overhead)
    assert read(pid, "cpu", "cpu.cfs_quota_us") == "20000"  # what the update did not name stays
    bad = runu("update", "--memory", "128m", "c1", check=False)
    assert bad.returncode == 1 and b"fixed when its kernel booted" in bad.stderr
    assert int(read(pid, "memory", "memory.limit_in_bytes")) == (64 << 20) + OVERHEAD


def test_events_stats_is_runcs_json_with_true_numbers(runu, make_bundle):
    pid = detached(runu, make_bundle, "c1", edit=with_linux(resources={"pids": {"limit": 50}}))
    time.sleep(1)
    event = json.loads(runu("events", "--stats", "c1").stdout)
    assert event["type"] == "stats" and event["id"] == "c1"
    data = event["data"]
    assert data["cpu"]["usage"]["total"] > 0.5e9  # a second of a busy loop
    assert data["memory"]["usage"]["limit"] == (256 << 20) + OVERHEAD
    assert 0 < data["memory"]["usage"]["usage"] <= data["memory"]["usage"]["limit"]
    assert data["pids"] == {"current": len(read(pid, "pids", "cgroup.procs").split()),
                            "limit": 50 + UmlSandbox.pids_overhead}


def test_events_interval_streams_stats_between_lifecycle_events(runu, make_bundle):
    detached(runu, make_bundle, "c1")
    follower = subprocess.Popen([RUNU, "--root", str(runu.root), "events", "--interval", "200ms", "c1"],
                                stdout=subprocess.PIPE)
    try:
        lines = [json.loads(follower.stdout.readline()) for _ in range(5)]
    finally:
        follower.kill()
        follower.wait()
    events = [e["event"] for e in lines if "event" in e]
    # The guest's "ready" may come before or after "started" (start does not wait for the boot).
    assert events[0] == "created" and sorted(events[1:3]) == ["ready", "started"]
    assert sum(e.get("type") == "stats" for e in lines) >= 2


def test_pause_of_a_stopped_container_is_refused(runu, make_bundle):
    runu("create", "-b", str(make_bundle(["true"])), "c1")
    runu("start", "c1")
    time.sleep(2)
    result = runu("pause", "c1", check=False)
    assert result.returncode == 1 and b"stopped" in result.stderr
