"""The guest description: what the in-guest init will be told to do."""

import os
import subprocess
import sys

import pytest

from runu.errors import RunuError
from runu.guest import describe
from runu.spec import default_spec


def tokens(desc):
    return desc.encode().split(b"\0")[:-1]


def records(desc, keyword):
    toks = [t.decode() for t in tokens(desc)]
    return [toks[i + 1:i + 7] for i, t in enumerate(toks) if t == keyword]


def test_stdio_mode_comes_first_and_terminal_wins():
    spec = default_spec(["sh"], terminal=True)
    assert tokens(describe(spec, "pipes"))[:2] == [b"stdio", b"terminal"]
    spec["process"]["terminal"] = False
    assert tokens(describe(spec, "pipes-nostdin"))[:2] == [b"stdio", b"pipes-nostdin"]


def test_stderr_follows_stdout_when_the_callers_are_one_file_and_no_terminal():
    spec = default_spec(["sh"], terminal=False)
    assert [r[0] for r in records(describe(spec, "pipes", merged=True), "stderr")] == ["stdout"]
    assert records(describe(spec, "pipes"), "stderr") == []
    spec["process"]["terminal"] = True
    assert records(describe(spec, "pipes", merged=True), "stderr") == []


def test_outputs_merged_compares_the_files_behind_1_and_2():
    probe = [sys.executable, "-c", "from runu.stdio import outputs_merged; print(outputs_merged())"]
    with open(os.devnull, "w") as null:
        both = subprocess.run(probe, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True)
        apart = subprocess.run(probe, stdout=subprocess.PIPE, stderr=null, check=True)
    assert (both.stdout, apart.stdout) == (b"True\n", b"False\n")


def test_dev_is_the_tmpfs_the_spec_asks_for_then_filled_as_runc_fills_it():
    toks = [t.decode() for t in tokens(describe(default_spec(), "pipes"))]
    mounts = records(describe(default_spec(), "pipes"), "mount")
    dev = next(m for m in mounts if m[3] == "/dev")
    assert dev[:2] == ["fs", "tmpfs"]
    assert toks.index("setupdev") > toks.index("/dev")  # the devices go into that tmpfs


def test_propagation_options_become_mount_flags(tmp_path):
    spec = default_spec()
    spec["mounts"].append({"destination": "/m", "type": "bind", "source": str(tmp_path),
                           "options": ["rbind", "rslave"]})
    spec["linux"]["rootfsPropagation"] = "shared"
    MS_SLAVE, MS_SHARED, MS_REC = 1 << 19, 1 << 20, 1 << 14
    assert [r[:2] for r in records(describe(spec, "pipes"), "propagation")] == [
        ["/m", str(MS_SLAVE | MS_REC)], ["/", str(MS_SHARED)]]


def test_bind_mounts_become_hostfs_paths_in_the_sandbox(tmp_path):
    spec = default_spec()
    (tmp_path / "f").write_text("x")
    spec["mounts"] += [
        {"destination": "/data", "type": "bind", "source": str(tmp_path), "options": ["rbind", "ro"]},
        {"destination": "/etc/hosts", "type": "bind", "source": str(tmp_path / "f"), "options": ["bind"]},
    ]
    desc = describe(spec, "pipes")
    assert [(m.source, m.sandbox_path, m.readonly, m.is_file) for m in desc.host_mounts] == [
        (tmp_path, "/volumes/0", True, False), (tmp_path / "f", "/volumes/1", False, True)]
    kinds = {m[3]: (m[0], m[2], int(m[4]) & 1) for m in records(desc, "mount")}
    assert kinds["/data"] == ("hostdir", "/volumes/0", 1)
    assert kinds["/etc/hosts"] == ("hostfile", "/volumes/1", 0)


def test_capabilities_become_bit_masks():
    spec = default_spec()
    spec["process"]["capabilities"] = {"bounding": ["CAP_KILL", "CAP_NET_RAW"], "effective": ["CAP_KILL"]}
    caps = next(r for r in records(describe(spec, "pipes"), "caps"))
    assert [int(c) for c in caps[:5]] == [(1 << 5) | (1 << 13), 1 << 5, 0, 0, 0]


@pytest.mark.parametrize("change, message", [
    (lambda s: s["process"]["capabilities"].update(bounding=["CAP_NOPE"]), "CAP_NOPE"),
    (lambda s: s["process"].update(rlimits=[{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]), "RLIMIT_NOPE"),
    (lambda s: s["mounts"].append({"destination": "rel", "type": "tmpfs"}), "absolute"),
    (lambda s: s["mounts"].append({"destination": "/x", "type": "nfs"}), "nfs"),
    (lambda s: s["process"].update(args=["a\0b"]), "NUL"),
])
def test_bad_specs_are_refused(change, message):
    spec = default_spec()
    change(spec)
    with pytest.raises(RunuError, match=message):
        describe(spec, "pipes")


def test_cgroup_mounts_are_left_out():
    spec = default_spec()
    spec["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                           "options": ["ro", "nosuid"]})
    assert all(m[3] != "/sys/fs/cgroup" for m in records(describe(spec, "pipes"), "mount"))
