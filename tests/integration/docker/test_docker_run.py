"""`docker run --runtime=runu` as a user sees it: the guest's own kernel, exit codes, the two
output streams, process settings, --rm, and -d with docker ps / inspect / wait agreeing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from docker.errors import NotFound

from runu.paths import kernel_dir
from tests.integration.docker.conftest import RUNTIME_ROOT, leftovers, wait_until

RUNU = str(Path(sys.executable).parent / "runu")


def test_uname_shows_the_tailored_kernel(docker):
    version = json.loads((kernel_dir("default") / "kernel.json").read_text())["version"]
    r = docker.run(["uname", "-r"])
    assert (r.code, r.stdout.strip()) == (0, version)
    assert version != os.uname().release


def test_exit_code_is_the_process_exit_code(docker):
    assert docker.run(["sh", "-c", "exit 7"]).code == 7


def test_a_sysctl_the_guest_has_not_fails_the_container_with_its_name(docker):
    """The guest boots while Docker's prestart hook runs and fails on the sysctl meanwhile: it
    still outlives the hook, which works on its namespaces, so the error is the guest's own."""
    r = docker.run(["true"], sysctls={"net.nope.nothing": "1"})
    assert (r.code, r.stderr) == (126, "runu: sysctl net/nope/nothing: No such file or directory\n")


def test_privileged_gets_the_hosts_devices(docker):
    """--privileged gives every host device, some in directories no image has (/dev/cpu/0/cpuid)."""
    count = ["sh", "-c", "find /dev | wc -l"]
    privileged, plain = docker.run(count, privileged=True), docker.run(count)
    assert privileged.code == 0, privileged.stderr
    assert int(privileged.stdout) > int(plain.stdout)


def test_logs_keep_stdout_and_stderr_apart(docker):
    r = docker.run(["sh", "-c", "echo out; echo err >&2; echo out again"])
    assert (r.code, r.stdout, r.stderr) == (0, "out\nout again\n", "err\n")


def test_env_workdir_user_and_hostname(docker):
    r = docker.run(["sh", "-c", 'echo "$GREETING"; pwd; id -u; id -g; hostname'],
                   environment={"GREETING": "hello there"}, working_dir="/srv/app",
                   user="nobody", hostname="thingvisor-1")
    assert r.stdout.splitlines() == ["hello there", "/srv/app", "65534", "65534", "thingvisor-1"], r.stderr


def test_rm_removes_the_container_when_it_exits(docker, docker_client):
    c = docker.start(["true"], auto_remove=True)
    try:
        c.wait(condition="removed", timeout=30)
    except NotFound:
        pass  # gone before we asked
    with pytest.raises(NotFound):
        docker_client.containers.get(c.id)
    assert wait_until(lambda: not leftovers(c.id)), leftovers(c.id)


def test_detached_container_agrees_in_ps_inspect_runtime_and_wait(docker, docker_client):
    c = docker.start(["sleep", "300"])
    c.reload()
    assert [(x.id, x.status) for x in docker_client.containers.list(filters={"id": c.id})] == [(c.id, "running")]
    runtime_state = json.loads(subprocess.run([RUNU, "--root", str(RUNTIME_ROOT), "state", c.id],
                                              capture_output=True, check=True).stdout)
    assert (runtime_state["status"], runtime_state["pid"]) == ("running", c.attrs["State"]["Pid"])
    assert c.attrs["HostConfig"]["Runtime"] == "runu"
    c.kill()
    assert c.wait(timeout=30)["StatusCode"] == 137
    c.reload()
    assert (c.status, c.attrs["State"]["ExitCode"], c.attrs["State"]["Running"]) == ("exited", 137, False)
    assert docker_client.containers.list(filters={"id": c.id}) == []
