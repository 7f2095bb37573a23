"""docker exec into a runu container: the guest's agent starts the process beside the
container's own; what a user sees matches runc (output, exit codes, -u/-w/-e, stdin, signals,
errors), and nothing is left once it ends."""

import os
import signal
import subprocess
import threading

import pytest

from tests.integration.docker.conftest import wait_until

DOCKER_CLI = "/usr/bin/docker"


@pytest.fixture
def running(docker):
    return docker.start(["sleep", "300"])


def relays_of(container_id: str) -> list[int]:
    """Host processes standing in for processes exec'd into the container (`runu exec`)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if b"exec" in argv and container_id.encode() in argv and any(a.endswith((b"/runu", b"/runu-py")) for a in argv):
            found.append(int(pid))
    return found


def test_exec_output_exit_code_and_streams(running):
    result = running.exec_run(["sh", "-c", "echo out; echo err >&2; exit 3"], demux=True)
    assert result.exit_code == 3
    assert result.output == (b"out\n", b"err\n")
    assert wait_until(lambda: not relays_of(running.id), timeout=10)  # its stand-in ended with it


def test_exec_user_workdir_and_env(running):
    result = running.exec_run(["sh", "-c", "id -u; id -g; pwd; echo $GREETING"], user="1000:1001",
                              workdir="/tmp", environment={"GREETING": "hello"})
    assert result.exit_code == 0
    assert result.output.decode().split() == ["1000", "1001", "/tmp", "hello"]


def test_exec_sees_the_containers_processes_and_files(running):
    running.exec_run(["sh", "-c", "echo written > /tmp/mark"])
    result = running.exec_run(["sh", "-c", "cat /tmp/mark; ps -o pid,args"])
    lines = result.output.decode().splitlines()
    assert lines[0] == "written"
    assert any(line.split() == ["1", "sleep", "300"] for line in lines)  # its pid namespace


def test_exec_stdin_reaches_the_process_and_eof_ends_it(running):
    out = subprocess.run([DOCKER_CLI, "exec", "-i", running.id, "sh", "-c", "tr a-z A-Z; echo eof seen"],
                         input=b"hello stdin\n", capture_output=True, timeout=60)
    assert (out.returncode, out.stdout) == (0, b"HELLO STDIN\neof seen\n")


def test_exec_of_a_missing_program_is_a_clear_error(running):
    out = subprocess.run([DOCKER_CLI, "exec", running.id, "no-such-program"], capture_output=True, timeout=60)
    assert out.returncode != 0
    assert b"exec no-such-program: No such file or directory" in out.stdout + out.stderr
    running.reload()
    assert running.status == "running"


def test_exec_into_a_stopped_or_paused_container_is_refused(docker):
    stopped = docker.start(["true"])
    stopped.wait(timeout=60)
    out = subprocess.run([DOCKER_CLI, "exec", stopped.id, "true"], capture_output=True, timeout=60)
    assert out.returncode != 0 and b"is not running" in out.stderr
    paused = docker.start(["sleep", "300"])
    paused.pause()
    out = subprocess.run([DOCKER_CLI, "exec", paused.id, "true"], capture_output=True, timeout=60)
    assert out.returncode != 0 and b"paused" in out.stderr
    paused.unpause()


def test_a_signal_to_the_exec_process_reaches_the_guest_process(running, docker_client):
    """containerd signals an exec'd process by its host pid: runu's stand-in forwards it."""
    script = "trap 'echo got TERM; exit 9' TERM; echo armed; while :; do sleep 0.1; done"
    exec_id = docker_client.api.exec_create(running.id, ["sh", "-c", script])["Id"]
    stream = docker_client.api.exec_start(exec_id, stream=True)
    assert next(stream).startswith(b"armed")
    relays = wait_until(lambda: relays_of(running.id), timeout=10)
    assert len(relays) == 1
    os.kill(relays[0], signal.SIGTERM)
    assert b"".join(stream) == b"got TERM\n"
    assert wait_until(lambda: docker_client.api.exec_inspect(exec_id)["ExitCode"] == 9, timeout=10)
    assert wait_until(lambda: not relays_of(running.id), timeout=10)


def test_killing_the_exec_process_kills_the_guest_process(running, docker_client):
    exec_id = docker_client.api.exec_create(running.id, ["sleep", "600"])["Id"]
    docker_client.api.exec_start(exec_id, detach=True)
    relays = wait_until(lambda: relays_of(running.id), timeout=10)
    assert wait_until(lambda: "sleep 600" in running.exec_run(["ps", "-o", "args"]).output.decode(), timeout=10)
    os.kill(relays[0], signal.SIGKILL)
    assert wait_until(lambda: "sleep 600" not in running.exec_run(["ps", "-o", "args"]).output.decode(),
                      timeout=10)


def test_many_execs_at_once(running):
    results = [None] * 12

    def one(i):
        results[i] = running.exec_run(["sh", "-c", f"echo {i}; exit {i}"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(results))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [(r.exit_code, r.output) for r in results] == [(i, f"{i}\n".encode()) for i in range(len(results))]


def test_output_that_looks_like_agent_frames_arrives_as_it_was_written(running):
    """A process's bytes travel inside frames: a forged header is only data."""
    forged = "\\005\\000\\000\\000\\023\\000\\000\\000\\004\\000\\000\\000\\003\\000\\000\\000"
    result = running.exec_run(["sh", "-c", f"printf '{forged}'; printf tail"])
    assert result.exit_code == 0
    assert result.output == bytes([5, 0, 0, 0, 19, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0]) + b"tail"


def test_no_guest_process_can_open_the_agent_line(running):
    """Only the guest's init holds the agent's console line (TIOCEXCL): root in the container,
    with CAP_MKNOD, makes the device node and still cannot open it to forge requests."""
    result = running.exec_run(["sh", "-c", "mknod /dev/agent c 4 5 && echo made && echo forged > /dev/agent"],
                              demux=True)
    assert result.exit_code != 0
    assert result.output[0] == b"made\n" and b"Device or resource busy" in result.output[1]
