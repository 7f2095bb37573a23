"""The runtime-spec's requirements as the container's process sees them: each bundle runs under
runc and under runu, and what the process prints must be the same (runc is the reference).

Where a requirement cannot apply to a kernel per container, the test says what runu does
instead (a host pid namespace given by path cannot be joined from a guest: refused).
"""

import json
import subprocess

import pytest

from tests.conftest import RUNU
from tests.integration.test_lifecycle import wait_status


@pytest.fixture
def both(make_bundle, tmp_path):
    """both(args, edit) -> {runtime: (exit status, stdout, stderr)}, the same bundle under each."""
    def run(args, edit=None, readonly=False):
        def edited(spec):
            spec["root"]["readonly"] = readonly
            if edit:
                edit(spec)
        bundle = make_bundle(args, edit=edited)
        results = {}
        for name, binary in (("runc", "runc"), ("runu", RUNU)):
            root = tmp_path / f"{name}-state"
            done = subprocess.run([binary, "--root", str(root), "run", "--bundle", str(bundle), "c1"],
                                  capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
            subprocess.run([binary, "--root", str(root), "delete", "--force", "c1"], capture_output=True)
            results[name] = (done.returncode, done.stdout.decode(), done.stderr.decode())
        return results
    return run


def same(results) -> tuple:
    """The one result both runtimes gave (with the output of each when they differ)."""
    assert results["runu"] == results["runc"], json.dumps(results, indent=1)
    return results["runu"]


def test_dev_is_the_tmpfs_the_spec_mounts_with_runcs_devices_and_links(both):
    script = ("grep ' /dev ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1;"
              "for f in fd stdin stdout stderr ptmx; do echo $f $(readlink /dev/$f); done;"
              "for d in null zero full random urandom tty; do stat -c '%n %F %t:%T %a' /dev/$d; done")
    code, out, _ = same(both(["sh", "-c", script]))
    assert code == 0 and out.startswith("tmpfs\nfd /proc/self/fd\n")


def test_linux_devices_are_created_with_their_numbers_mode_and_owner(both):
    """Also in directories /dev lacks, made for them (--privileged gives /dev/cpu/0/cpuid)."""
    devices = [{"path": "/dev/test1", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1, "gid": 2},
               {"path": "/dev/test2", "type": "p", "fileMode": 0o600, "uid": 0, "gid": 0},
               {"path": "/dev/deep/er/test3", "type": "c", "major": 1, "minor": 5, "fileMode": 0o666}]
    script = "stat -c '%n %F %t:%T %a %u %g' /dev/test1 /dev/test2 /dev/deep/er/test3"
    code, out, _ = same(both(["sh", "-c", script], edit=lambda s: s["linux"].update(devices=devices)))
    assert out == ("/dev/test1 character special file 1:3 640 1 2\n/dev/test2 fifo 0:0 600 0 0\n"
                   "/dev/deep/er/test3 character special file 1:5 666 0 0\n")


def test_masked_and_readonly_paths(both):
    def edit(spec):
        spec["linux"].update(maskedPaths=["/etc/passwd", "/sys/kernel", "/no/such/path"],
                             readonlyPaths=["/etc/group", "/tmp"])
    script = ("wc -c < /etc/passwd; ls /sys/kernel | wc -l; touch /sys/kernel/x 2>/dev/null || echo masked-ro;"
              "echo x >> /etc/group 2>/dev/null || echo group-ro; touch /tmp/x 2>/dev/null || echo tmp-ro")
    code, out, _ = same(both(["sh", "-c", script], edit=edit))
    assert out.split() == ["0", "0", "masked-ro", "group-ro", "tmp-ro"]


def test_capabilities_outside_the_bounding_set_are_gone(both):
    code, out, _ = same(both(["sh", "-c", "grep -E '^Cap(Bnd|Eff|Prm|Inh|Amb)' /proc/self/status"]))
    assert "CapBnd:\t0000000020000420" in out  # AUDIT_WRITE, KILL, NET_BIND_SERVICE: the spec's three


def test_oom_score_adj_and_rlimits(both):
    def edit(spec):
        spec["process"]["oomScoreAdj"] = 500
        spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 3000, "hard": 4000}]
    code, out, _ = same(both(["sh", "-c", "cat /proc/self/oom_score_adj; ulimit -n; ulimit -Hn"], edit=edit))
    assert out.split() == ["500", "3000", "4000"]


@pytest.mark.parametrize("hostname", ["box-7", ""])
def test_hostname(both, hostname):
    code, out, _ = same(both(["hostname"], edit=lambda s: s.update(hostname=hostname)))
    assert code == 0 and (out == f"{hostname}\n" if hostname else out.strip())


def test_the_process_is_pid_1_of_its_own_pid_namespace(both):
    code, out, _ = same(both(["sh", "-c", "echo $$; ls /proc > /tmp/ls; grep -c '^[0-9]' /tmp/ls"]))
    assert out.split() == ["1", "2"]  # itself and ls: no process of the runtime's


def test_as_pid_1_a_term_of_its_own_is_ignored(both):
    code, out, _ = same(both(["sh", "-c", "kill -TERM $$; echo survived"]))
    assert (code, out) == (0, "survived\n")


def test_a_host_pid_namespace_by_path_is_refused_not_ignored(runu, make_bundle):
    edit = lambda s: s["linux"]["namespaces"].__setitem__(0, {"type": "pid", "path": "/proc/self/ns/pid"})  # noqa
    result = runu("run", "--bundle", str(make_bundle(["true"], edit=edit)), "c1", check=False)
    assert (result.returncode, result.stderr.decode()) == (
        1, "runu: linux.namespaces[0]: a pid namespace of the host (/proc/self/ns/pid) cannot be joined: "
           "the container's processes run in their own kernel\n")


# Propagation is relative to peers. Under runc they are the host's mounts, so what a container
# finds depends on the host (on these machines the host's mounts are private, and runc's
# container shows no tag for any rootfsPropagation, nor for a slave of a private bind
# source); a guest's peers are its own, and runu gives each mount the propagation asked for.
# The optional fields of a mount point's mountinfo line (shared:N, master:N), numbers left out.
_PROPAGATION_OF = ("awk '$5 == \"{mountpoint}\" {{for (i = 7; $i != \"-\"; i++) printf \"%s \", $i; print \"\"}}' "
                   "/proc/self/mountinfo | sed 's/:[0-9]*//g'")
TAG = {"shared": "shared", "rshared": "shared", "slave": "master", "rslave": "master",
       "private": "", "rprivate": ""}


@pytest.mark.parametrize("propagation", ["shared", "slave", "private"])
def test_rootfs_propagation(runu, make_bundle, propagation):
    bundle = make_bundle(["sh", "-c", _PROPAGATION_OF.format(mountpoint="/")],
                         edit=lambda s: s["linux"].update(rootfsPropagation=propagation))
    assert runu("run", "--bundle", str(bundle), "c1").stdout.decode().split() == TAG[propagation].split()


@pytest.mark.parametrize("option", ["rshared", "rslave", "rprivate"])
def test_bind_mount_propagation(runu, make_bundle, tmp_path, option):
    (tmp_path / "shared-dir").mkdir()

    def edit(spec):
        spec["mounts"].append({"destination": "/mnt", "type": "bind", "source": str(tmp_path / "shared-dir"),
                               "options": ["rbind", option]})
    bundle = make_bundle(["sh", "-c", _PROPAGATION_OF.format(mountpoint="/mnt")], edit=edit)
    assert runu("run", "--bundle", str(bundle), "c1").stdout.decode().split() == TAG[option].split()


def test_missing_mount_destinations_are_made_even_in_a_read_only_rootfs(both):
    def edit(spec):
        spec["mounts"].append({"destination": "/made/for/it", "type": "tmpfs", "source": "tmpfs"})
    code, out, _ = same(both(["sh", "-c", "grep -c ' /made/for/it ' /proc/self/mountinfo"], edit=edit, readonly=True))
    assert out == "1\n"


def test_config_json_is_read_once_at_create(runu, make_bundle, tmp_path):
    """The bundle's config.json changed (here: broken) between create and start changes nothing."""
    bundle = make_bundle(["echo", "as created"])
    with open(tmp_path / "out", "wb") as out:
        runu("create", "--bundle", str(bundle), "c1", stdout=out)
    (bundle / "config.json").write_text("{ no longer json")
    runu("start", "c1")
    wait_status(runu, "c1", "stopped")
    runu("delete", "c1")
    assert (tmp_path / "out").read_bytes() == b"as created\n"


def test_a_read_only_rootfs_gets_only_the_mount_points_it_must_hold(runu, make_bundle):
    """Mount points under an earlier mount are made in that mount, not in the rootfs: a verified
    rootfs stays as its manifest says, run after run."""
    def edit(spec):
        spec["root"]["readonly"] = True
        spec["mounts"].append({"destination": "/made/for/it", "type": "tmpfs", "source": "tmpfs"})
    bundle = make_bundle(["true"], edit=edit)
    before = {p.relative_to(bundle / "rootfs") for p in (bundle / "rootfs").rglob("*")}
    runu("run", "--bundle", str(bundle), "c1")
    made = {p.relative_to(bundle / "rootfs") for p in (bundle / "rootfs").rglob("*")} - before
    assert {str(p) for p in made} == {"made", "made/for", "made/for/it"}
