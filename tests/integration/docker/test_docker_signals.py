"""Signals and lifecycle from Docker: stop, kill -s, restart, rm -f of a running container."""

import time

import pytest
from docker.errors import NotFound

from tests.conftest import sandbox_processes
from tests.integration.docker.conftest import RUNTIME_ROOT, leftovers, wait_until


def trapping(docker, traps: str):
    """A detached shell that set `traps`, said so, and idles in an interruptible wait."""
    c = docker.start(["sh", "-c", f"{traps}; echo ready; while :; do sleep 1 & wait $!; done"])
    assert wait_until(lambda: b"ready" in c.logs(), timeout=30), c.logs()
    return c


def test_stop_ends_with_the_trap_exit_code_within_two_seconds(docker):
    c = trapping(docker, 'trap "exit 3" TERM')
    started = time.monotonic()
    c.stop(timeout=10)
    elapsed = time.monotonic() - started
    assert c.wait(timeout=10)["StatusCode"] == 3
    assert elapsed < 2, f"docker stop took {elapsed:.2f} s"


def test_stop_kills_after_the_timeout_when_term_is_ignored(docker):
    c = trapping(docker, 'trap "" TERM')
    started = time.monotonic()
    c.stop(timeout=1)
    elapsed = time.monotonic() - started
    assert c.wait(timeout=10)["StatusCode"] == 137
    assert 1 <= elapsed < 5, f"docker stop -t 1 took {elapsed:.2f} s"


def test_kill_with_a_signal_reaches_the_process(docker):
    c = trapping(docker, 'trap "echo got USR1; exit 10" USR1')
    c.kill(signal="SIGUSR1")
    assert c.wait(timeout=10)["StatusCode"] == 10
    assert c.logs() == b"ready\ngot USR1\n"


def test_restart_boots_the_same_container_again(docker):
    c = trapping(docker, 'echo boot >> /boots; echo "boots: $(wc -l < /boots)"; trap "exit 0" TERM')
    c.reload()
    first_pid = c.attrs["State"]["Pid"]
    c.restart(timeout=5)
    assert wait_until(lambda: b"boots: 2" in c.logs(), timeout=30), c.logs()
    c.reload()
    assert c.status == "running" and c.attrs["State"]["Pid"] not in (0, first_pid)


def test_rm_force_of_a_running_container_cleans_up(docker, docker_client):
    c = trapping(docker, "true")
    assert sandbox_processes(under=RUNTIME_ROOT / c.id), "no sandbox process found for the container"
    c.remove(force=True)
    with pytest.raises(NotFound):
        docker_client.containers.get(c.id)
    assert wait_until(lambda: not leftovers(c.id)), leftovers(c.id)
