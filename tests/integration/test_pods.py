"""Pods as containerd's CRI makes them, one kernel each: a sandbox container boots the pod's
kernel, later containers of the pod run inside it (their own root, state, pid, status, signals,
delete), share its network, and end before it."""

import os
import time

import pytest

from runu.pod import CONTAINER_TYPE, SANDBOX_ID
from tests.integration.docker.conftest import wait_until

pytestmark = pytest.mark.usefixtures("runu")


def pod_annotations(kind: str, pod: str):
    def edit(spec):
        spec.setdefault("annotations", {}).update({CONTAINER_TYPE: kind, SANDBOX_ID: pod})
    return edit


@pytest.fixture
def pod(runu, make_bundle):
    """A running pod sandbox, "pod1", its process sleeping as the pause container's does."""
    bundle = make_bundle(["sleep", "600"], edit=pod_annotations("sandbox", "pod1"))
    runu("create", "--bundle", str(bundle), "pod1")
    runu("start", "pod1")
    return "pod1"


def member(make_bundle, pod, args):
    return make_bundle(args, edit=pod_annotations("container", pod))


def test_a_containers_own_root_output_and_exit_status(runu, make_bundle, pod, tmp_path):
    bundle = member(make_bundle, pod, ["sh", "-c", "echo from c1 > /mark; cat /mark; exit 7"])
    out = tmp_path / "c1.out"
    with open(out, "wb") as f:
        runu("create", "--bundle", str(bundle), "c1", stdout=f)
    assert runu.state("c1")["status"] == "created"
    runu("start", "c1")
    assert wait_until(lambda: runu.state("c1")["status"] == "stopped", timeout=30)
    assert out.read_bytes() == b"from c1\n"
    assert (bundle / "rootfs" / "mark").read_text() == "from c1\n"  # its own rootfs, written through
    assert runu.state(pod)["status"] == "running"
    runu("delete", "c1")
    assert runu.state(pod)["status"] == "running"


def test_containers_of_a_pod_share_its_kernel_and_network(runu, make_bundle, pod, tmp_path):
    server = member(make_bundle, pod, ["sh", "-c", "echo pong | nc -l -p 7000 127.0.0.1"])
    client = member(make_bundle, pod, ["sh", "-c", "sleep 1; nc 127.0.0.1 7000 </dev/null; uname -r"])
    out = tmp_path / "cli.out"
    runu("create", "--bundle", str(server), "srv")
    with open(out, "wb") as f:
        runu("create", "--bundle", str(client), "cli", stdout=f)
    runu("start", "srv")
    runu("start", "cli")
    assert wait_until(lambda: runu.state("cli")["status"] == "stopped", timeout=30)
    lines = out.read_text().splitlines()
    assert lines[0] == "pong"  # over the pod's loopback: one network stack
    assert lines[1] != os.uname().release  # the pod's kernel answers uname, not the host's
    for name in ("srv", "cli"):
        runu("delete", "--force", name)


def test_a_signal_reaches_a_pods_container(runu, make_bundle, pod, tmp_path):
    bundle = member(make_bundle, pod, ["sh", "-c", "trap 'echo got TERM; exit 9' TERM; while :; do sleep 0.1; done"])
    out = tmp_path / "c2.out"
    with open(out, "wb") as f:
        runu("create", "--bundle", str(bundle), "c2", stdout=f)
    runu("start", "c2")
    time.sleep(1)
    runu("kill", "c2", "TERM")
    assert wait_until(lambda: runu.state("c2")["status"] == "stopped", timeout=30)
    assert out.read_bytes() == b"got TERM\n"
    runu("delete", "c2")


def test_a_container_of_a_pod_that_does_not_run_is_refused(runu, make_bundle):
    bundle = make_bundle(["true"], edit=pod_annotations("container", "no-such-pod"))
    result = runu("create", "--bundle", str(bundle), "orphan", check=False)
    assert result.returncode != 0
    assert b"no-such-pod" in result.stderr


def test_deleting_the_pod_ends_its_containers_first(runu, make_bundle, pod):
    bundle = member(make_bundle, pod, ["sleep", "600"])
    runu("create", "--bundle", str(bundle), "c3")
    runu("start", "c3")
    assert runu.state("c3")["status"] == "running"
    runu("kill", pod, "KILL")
    assert wait_until(lambda: runu.state(pod)["status"] == "stopped", timeout=30)
    runu("delete", pod)
    assert wait_until(lambda: runu.state("c3")["status"] == "stopped", timeout=30)
    runu("delete", "c3")


def test_exec_into_a_pods_container_runs_in_its_root(runu, make_bundle, pod):
    bundle = member(make_bundle, pod, ["sh", "-c", "echo mine > /only-here; sleep 600"])
    runu("create", "--bundle", str(bundle), "c4")
    runu("start", "c4")
    assert wait_until(lambda: (bundle / "rootfs" / "only-here").exists(), timeout=30)
    result = runu("exec", "c4", "sh", "-c", "cat /only-here; exit 3", check=False)
    assert (result.returncode, result.stdout) == (3, b"mine\n")
    pod_side = runu("exec", pod, "cat", "/only-here", check=False)
    assert pod_side.returncode != 0  # the pod's own container has its own root
    runu("delete", "--force", "c4")


def test_a_pods_container_refuses_what_belongs_to_the_pod(runu, make_bundle, pod):
    bundle = member(make_bundle, pod, ["sleep", "600"])
    runu("create", "--bundle", str(bundle), "c5")
    runu("start", "c5")
    for verb in (("pause", "c5"), ("update", "--memory", "64m", "c5"), ("events", "--stats", "c5")):
        result = runu(*verb, check=False)
        assert result.returncode != 0 and b"runs in the kernel of pod pod1" in result.stderr, verb
    runu("delete", "--force", "c5")


def test_start_after_the_stand_in_died_is_an_error_not_a_hang(runu, make_bundle, pod):
    bundle = member(make_bundle, pod, ["true"])
    runu("create", "--bundle", str(bundle), "c6")
    os.kill(runu.state("c6")["pid"], 9)
    result = runu("start", "c6", check=False, timeout=30)
    assert result.returncode != 0 and (b"stand-in ended" in result.stderr or b"it is stopped" in result.stderr)
    runu("delete", "c6")


def test_a_pods_container_gets_its_bind_mounts(runu, make_bundle, pod, tmp_path):
    shared = tmp_path / "shared.txt"
    shared.write_text("from the host\n")

    def with_bind(spec):
        pod_annotations("container", pod)(spec)
        spec["mounts"].append({"destination": "/etc/shared.txt", "type": "bind", "source": str(shared),
                               "options": ["rbind", "ro"]})
    bundle = make_bundle(["cat", "/etc/shared.txt"], edit=with_bind)
    out = tmp_path / "c7.out"
    with open(out, "wb") as f:
        runu("create", "--bundle", str(bundle), "c7", stdout=f)
    runu("start", "c7")
    assert wait_until(lambda: runu.state("c7")["status"] == "stopped", timeout=30)
    assert out.read_text() == "from the host\n"
    runu("delete", "c7")


def test_ps_lists_each_containers_own_processes(runu, make_bundle, pod):
    bundle = member(make_bundle, pod, ["sleep", "601"])
    runu("create", "--bundle", str(bundle), "c8")
    runu("start", "c8")

    def commands(cid):
        return [line.split(None, 3)[3] for line in runu("ps", "--guest", cid).stdout.decode().splitlines()[1:]]

    assert wait_until(lambda: commands("c8") == ["sleep 601"], timeout=30), commands("c8")
    assert commands(pod) == ["sleep 600"]
    runu("delete", "--force", "c8")
