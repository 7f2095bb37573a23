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


@pytest.mark.parametrize("traps, grace, code, waits_out_grace", [
    ('trap "exit 3" TERM', 10, 3, False),  # TERM reaches the process, whose trap ends it
    ('trap "" TERM', 1, 137, True),  # TERM ignored: KILL after the grace period
], ids=["term-trapped", "term-ignored"])
def test_stop_sends_term_then_kill_after_the_grace_period(docker, traps, grace, code, waits_out_grace):
    c = trapping(docker, traps)
    started = time.monotonic()
    c.stop(timeout=grace)
    elapsed = time.monotonic() - started
    assert c.wait(timeout=10)["StatusCode"] == code
    assert (elapsed >= grace) == waits_out_grace, f"docker stop -t {grace} took {elapsed:.2f} s"


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
