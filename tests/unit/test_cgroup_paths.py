"""linux.cgroupsPath and linux.resources as runc reads them, and the host's hierarchies from
mountinfo: the pure parts of runu.cgroup."""

import pytest

from runu.cgroup.layout import UNIFIED, controller_home, hierarchies
from runu.cgroup.path import cgroupfs_path, systemd_path
from runu.cgroup.resources import settings
from runu.errors import RunuError


@pytest.mark.parametrize("spec_path, expected", [
    ("system.slice:docker:abc", "/system.slice/docker-abc.scope"),
    ("user-1000.slice:runu:c1", "/user.slice/user-1000.slice/runu-c1.scope"),
    ("a-b-c.slice::c1", "/a.slice/a-b.slice/a-b-c.slice/c1.scope"),
    (":runu:c1", "/system.slice/runu-c1.scope"),
    ("-.slice:runu:c1", "/runu-c1.scope"),
    ("system.slice:runu:machine.slice", "/machine.slice"),
    ("", "/system.slice/runu-c1.scope"),
])
def test_systemd_slice_prefix_name(spec_path, expected):
    assert systemd_path(spec_path, "c1") == expected


@pytest.mark.parametrize("spec_path", ["/docker/c1", "a:b", "x.slice:p:", "bad-.slice:p:c", "x:p:c"])
def test_systemd_refuses_what_systemd_would(spec_path):
    with pytest.raises(RunuError):
        systemd_path(spec_path, "c1")


@pytest.mark.parametrize("spec_path, expected", [
    ("/docker/c1", "/docker/c1"),
    ("/a/../../b", "/b"),  # never above the hierarchy's root
    ("rel/c1", "rel/c1"),  # below the runtime's own cgroup
    ("", "c1"),
])
def test_cgroupfs_paths(spec_path, expected):
    assert cgroupfs_path(spec_path, "c1") == expected


def test_the_root_cgroup_is_not_a_containers():
    with pytest.raises(RunuError, match="root cgroup"):
        cgroupfs_path("/..", "c1")


def _files(resources, version, overhead=10, guest=100, pids_overhead=0):
    return {s.file(version) for s in settings(resources, overhead, guest, pids_overhead) if s.file(version)}


def test_v1_and_v2_words_for_the_same_resources():
    resources = {"cpu": {"shares": 1024, "quota": 50000, "period": 100000, "cpus": "0-1"},
                 "pids": {"limit": 10}, "memory": {"limit": 100}}
    v1 = _files(resources, 1, pids_overhead=6)
    assert {("cpu.shares", "1024"), ("cpu.cfs_quota_us", "50000"), ("cpu.cfs_period_us", "100000"),
            ("cpuset.cpus", "0-1"), ("pids.max", "16"), ("memory.limit_in_bytes", "110")} <= v1
    v2 = _files(resources, 2, pids_overhead=6)
    # runc's conversion: weight = 1 + (shares - 2) * 9999 / 262142
    assert {("cpu.weight", "39"), ("cpu.max", "50000 100000"), ("pids.max", "16"), ("memory.max", "110")} <= v2


def test_a_sized_guest_is_bounded_without_a_limit_and_an_unsized_one_is_not():
    assert ("memory.limit_in_bytes", str(256 + 40)) in _files({}, 1, overhead=40, guest=256)
    assert not {f for f in _files({}, 1, guest=0) if f[0].startswith("memory")}


def test_swap_is_memory_plus_swap_in_v1_and_swap_alone_in_v2():
    resources = {"memory": {"limit": 100, "swap": 150}}
    assert ("memory.memsw.limit_in_bytes", "160") in _files(resources, 1, overhead=10, guest=100)
    assert ("memory.swap.max", "50") in _files(resources, 2, overhead=10, guest=100)


def test_hybrid_mountinfo(tmp_path):
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text(
        "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
        "31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "32 25 0:28 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,xattr,name=systemd\n"
        "33 25 0:29 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n")
    found = hierarchies(str(mountinfo))
    assert set(found) == {"cpu,cpuacct", "memory", "name=systemd", UNIFIED}
    assert controller_home(found, "cpuacct").key == "cpu,cpuacct"
    assert controller_home(found, "pids") is None  # neither a v1 mount nor the unified tree has it
