"""`runu run`: the process runs inside the tailored kernel; its exit status is runu's."""

import json
import os
import subprocess
import time

import pytest

from runu.paths import kernel_dir
from runu.spec import ANNOTATION_SANDBOX
from tests.conftest import RUNU


def kernel_version(profile="default"):
    return json.loads((kernel_dir(profile) / "kernel.json").read_text())["version"]


def test_uname_shows_the_sandbox_kernel(runu, make_bundle):
    bundle = make_bundle(["uname", "-r"])
    result = runu("run", "--bundle", str(bundle), "c1")
    assert result.stdout.decode().strip() == kernel_version()
    assert result.stdout.decode().strip() != os.uname().release


@pytest.fixture(params=["uml", "vm"])
def kind_bundle(request, make_bundle):
    """make_bundle for each sandbox kind: what UML and a VM guest must show alike."""
    if request.param == "vm" and not (kernel_dir("default", "x86_64") / "kernel.json").exists():
        pytest.skip("no x86_64 guest kernel built (invoke kernel.build --arch x86_64)")
    return lambda args: make_bundle(args, edit=lambda spec: spec.setdefault("annotations", {}).update(
        {ANNOTATION_SANDBOX: request.param}))


def test_exit_code_is_the_process_exit_code(runu, kind_bundle):
    bundle = kind_bundle(["sh", "-c", "exit 7"])
    assert runu("run", "--bundle", str(bundle), "c1", check=False).returncode == 7


def test_death_by_signal_is_128_plus_signal(runu, kind_bundle):
    """The process is pid 1 of its namespace (a TERM of its own is ignored, as under runc):
    death by a signal comes from outside."""
    bundle = kind_bundle(["sh", "-c", "echo up; while :; do sleep 1; done"])
    run = subprocess.Popen([RUNU, "--root", str(runu.root), "run", "--bundle", str(bundle), "c1"],
                           stdout=subprocess.PIPE)
    try:
        assert run.stdout.readline() == b"up\n"
        runu("kill", "c1", "KILL")
        assert run.wait(timeout=30) == 128 + 9
    finally:
        run.kill()
        run.wait()


def test_stdout_and_stderr_stay_apart(runu, kind_bundle):
    bundle = kind_bundle(["sh", "-c", "echo out; echo err >&2; echo out2"])
    result = runu("run", "--bundle", str(bundle), "c1")
    assert result.stdout == b"out\nout2\n"
    assert result.stderr == b"err\n"


def test_stdin_reaches_the_process(runu, kind_bundle):
    bundle = kind_bundle(["sh", "-c", "read line; echo got:$line"])
    result = runu("run", "--bundle", str(bundle), "c1", input=b"hello\n")
    assert result.stdout == b"got:hello\n"


def test_without_stdin_the_process_reads_eof(runu, make_bundle):
    bundle = make_bundle(["cat"])
    result = runu("run", "--bundle", str(bundle), "c1", stdin=open(os.devnull))
    assert result.returncode == 0 and result.stdout == b""


def test_missing_program_exits_127_with_a_message(runu, make_bundle):
    bundle = make_bundle(["/no/such/program"])
    result = runu("run", "--bundle", str(bundle), "c1", check=False)
    assert result.returncode == 127
    assert b"/no/such/program" in result.stderr


def test_process_settings_apply(runu, make_bundle):
    def edit(spec):
        spec["hostname"] = "sandbox-host"
        spec["process"]["cwd"] = "/tmp"
        spec["process"]["env"] = ["PATH=/bin", "GREETING=hi there"]
        spec["process"]["user"] = {"uid": 65534, "gid": 65534, "additionalGids": [4, 5], "umask": 0o027}
        spec["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 321, "hard": 654}]

    script = 'echo "$(hostname) $(pwd) $GREETING $(id -u):$(id -g) $(id -G) $(umask) $(ulimit -n)"'
    bundle = make_bundle(["sh", "-c", script], edit=edit)
    out = runu("run", "--bundle", str(bundle), "c1").stdout.decode().split()
    assert out == ["sandbox-host", "/tmp", "hi", "there", "65534:65534", "65534", "4", "5", "0027", "321"]


def test_memory_limit_sizes_the_guest(runu, make_bundle):
    def edit(spec):
        spec.setdefault("linux", {})["resources"] = {"memory": {"limit": 96 * 1024 * 1024}}

    bundle = make_bundle(["sh", "-c", "grep MemTotal /proc/meminfo"], edit=edit)
    kib = int(runu("run", "--bundle", str(bundle), "c1").stdout.split()[1])
    # The kernel keeps some memory for itself; the rest is what the guest sees.
    assert 70 * 1024 < kib <= 96 * 1024


def test_sysctls_apply_to_the_guest_kernel(runu, make_bundle):
    def edit(spec):
        spec["linux"]["sysctl"] = {"net.ipv4.ip_unprivileged_port_start": "0", "kernel.domainname": "edge"}

    bundle = make_bundle(["cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start", "/proc/sys/kernel/domainname"],
                         edit=edit)
    assert runu("run", "--bundle", str(bundle), "c1").stdout == b"0\nedge\n"


def test_unknown_sysctl_fails_with_its_name(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s["linux"].update(sysctl={"net.nope.nothing": "1"}))
    result = runu("run", "--bundle", str(bundle), "c1", check=False)
    assert result.returncode == 126 and b"net/nope/nothing" in result.stderr


def test_a_guest_that_ended_in_its_setup_before_start_still_starts(runu, make_bundle, tmp_path):
    """The guest boots at create; its setup may fail before start comes: start succeeds, as for a
    process that exited at once, and the container is stopped with the setup's message."""
    bundle = make_bundle(["true"], edit=lambda s: s["linux"].update(sysctl={"net.nope.nothing": "1"}))
    err = tmp_path / "err"
    with err.open("wb") as stderr:
        runu("create", "--bundle", str(bundle), "c1", stderr=stderr)
    deadline = time.monotonic() + 30
    while runu.state("c1")["status"] != "stopped":
        assert time.monotonic() < deadline, "the guest's setup never failed"
        time.sleep(0.02)
    assert runu("start", "c1").returncode == 0
    assert runu.state("c1")["status"] == "stopped"
    assert b"net/nope/nothing" in err.read_bytes()
    runu("delete", "c1")
