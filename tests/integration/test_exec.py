"""`runu exec` as runc's: the positional form with its flags, --process, --pid-file and
--detach, and runc's errors for a container that does not run."""

import ctypes
import json
import os

import pytest

from tests.integration.docker.conftest import wait_until

PR_SET_CHILD_SUBREAPER = 36


@pytest.fixture
def running(runu, make_bundle):
    runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "600"])), "c1")
    return "c1"


def test_positional_form_with_flags(runu, running):
    result = runu("exec", "--cwd", "/tmp", "-e", "GREETING=hello", "--user", "1000:1000", running,
                  "sh", "-c", "pwd; echo $GREETING; id -u; exit 4", check=False)
    assert (result.returncode, result.stdout) == (4, b"/tmp\nhello\n1000\n")


def test_process_file_and_detach_leave_a_stand_in_with_the_status(runu, running, tmp_path):
    process = {"args": ["sh", "-c", "sleep 1; exit 6"], "cwd": "/", "env": ["PATH=/bin:/usr/bin"],
               "user": {"uid": 0, "gid": 0}}
    (tmp_path / "process.json").write_text(json.dumps(process))
    pid_file = tmp_path / "exec.pid"
    # As containerd's shim is: the stand-in outlives runu exec and is reparented to us.
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
    try:
        runu("exec", "--detach", "--process", str(tmp_path / "process.json"), "--pid-file", str(pid_file), running)
        pid = int(pid_file.read_text())
        _, status = os.waitpid(pid, 0)
    finally:
        libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)
    assert os.waitstatus_to_exitcode(status) == 6


def test_runcs_errors_for_a_paused_or_stopped_container(runu, make_bundle, running):
    runu("pause", running)
    result = runu("exec", running, "true", check=False)
    assert result.returncode == 1 and b"cannot exec in a paused container" in result.stderr
    runu("resume", running)
    runu("run", "--detach", "--bundle", str(make_bundle(["true"])), "c2")
    assert wait_until(lambda: runu.state("c2")["status"] == "stopped", timeout=30)
    result = runu("exec", "c2", "true", check=False)
    assert result.returncode == 1 and b"cannot exec in a stopped container" in result.stderr
