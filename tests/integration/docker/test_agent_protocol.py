"""The agent's framing under bad input, spoken straight to a container's agent.sock: the monitor
drops a client that sends anything but a well-formed request, the guest's init answers a bad
request with an error frame, and neither ends the container nor stops the next exec."""

import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from runu import abi
from runu.agent import Session, processes
from tests.integration.docker.conftest import RUNTIME_ROOT, wait_until

HEADER = struct.Struct("<IHHI")


@pytest.fixture
def container(docker):
    return docker.start(["sleep", "300"])


def description(*tokens: str) -> bytes:
    """A process description as the agent reads it: NUL-terminated tokens."""
    return b"".join(t.encode() + b"\0" for t in tokens)


def state_dir(container):
    return RUNTIME_ROOT / container.id


def still_serves(container) -> None:
    """The container runs and the agent starts a process."""
    result = container.exec_run(["echo", "still here"])
    assert (result.exit_code, result.output) == (0, b"still here\n")
    container.reload()
    assert container.status == "running"


def answer(session: Session) -> tuple[int, bytes]:
    session.sock.settimeout(30)
    frame = session.receive()
    assert frame is not None, "the connection was closed instead of answered"
    return frame


@pytest.mark.parametrize("message", [
    b"\x01\x00",  # shorter than a header
    HEADER.pack(7, abi.AGENT_PS, 0, 0),  # a session of its own choosing
    HEADER.pack(0, 99, 0, 0),  # no such type
    HEADER.pack(0, abi.AGENT_HANGUP, 0, 0),  # the monitor's word, not a client's
    HEADER.pack(0, abi.AGENT_STDOUT, 0, 2) + b"hi",  # the guest's word
    HEADER.pack(0, abi.AGENT_PS, 1, 0),  # the zero field is not zero
    HEADER.pack(0, abi.AGENT_EXEC, 0, 100) + description("arg", "true"),  # the length lies
], ids=["short", "session", "type", "hangup", "guest-type", "zero-field", "length"])
def test_a_malformed_message_ends_that_client_only(container, message):
    with Session(state_dir(container), container.id) as session:
        session.sock.settimeout(30)
        session.sock.send(message)
        assert session.sock.recv(65536) == b""  # dropped, unanswered
    still_serves(container)


@pytest.mark.parametrize("description, error", [
    (b"", b"no process args"),
    (description("stdio", "pipes", "cwd", "/"), b"no process args"),
    (description("mount", "fs", "proc", "proc", "/mnt", "0", "", "arg", "true"),
     b"mount is not a field of a process to run"),
    (description("sysctl", "kernel/hostname", "evil", "arg", "true"), b"sysctl is not a field of a process to run"),
    (b"\xff\xfe garbage without a terminator", b"no process args"),
], ids=["empty", "no-args", "mount", "sysctl", "garbage"])
def test_a_bad_process_description_is_an_error_frame(container, description, error):
    with Session(state_dir(container), container.id) as session:
        session.send(abi.AGENT_EXEC, description)
        frame_type, payload = answer(session)
    assert frame_type == abi.AGENT_ERROR and error in payload
    still_serves(container)


@pytest.mark.parametrize("frame_type, payload", [
    (abi.AGENT_STDIN, b"input"), (abi.AGENT_RESIZE, struct.pack("<HH", 10, 10)),
    (abi.AGENT_SIGNAL, struct.pack("<I", 15)),
], ids=["stdin", "resize", "signal"])
def test_a_request_without_a_process_is_an_error_frame(container, frame_type, payload):
    with Session(state_dir(container), container.id) as session:
        session.send(frame_type, payload)
        got_type, text = answer(session)
    assert got_type == abi.AGENT_ERROR and b"no process in session" in text
    still_serves(container)


def test_odd_resize_and_signal_payloads_are_ignored(container):
    with Session(state_dir(container), container.id) as session:
        session.send(abi.AGENT_EXEC, description("stdio", "pipes", "arg", "sh", "arg", "-c", "arg", "read line; echo got $line"))
        assert answer(session)[0] == abi.AGENT_STARTED
        session.send(abi.AGENT_RESIZE, b"\x01")  # too short
        session.send(abi.AGENT_SIGNAL, struct.pack("<I", 0))  # no signal 0
        session.send(abi.AGENT_SIGNAL, struct.pack("<I", 9999))  # no such signal
        session.send(abi.AGENT_SIGNAL, b"\x09")  # too short to be SIGKILL
        session.send_stdin(b"hello\n")
        frames = [answer(session), answer(session)]
    assert frames == [(abi.AGENT_STDOUT, b"got hello\n"), (abi.AGENT_EXIT, struct.pack("<I", 0))]


def test_the_agent_lists_the_containers_processes(container):
    """Only the container's own: no kernel thread, not the guest's init or its helpers."""
    def commands():
        return [command for *_, command in processes(state_dir(container), container.id)]

    assert wait_until(lambda: commands() == ["sleep 300"], timeout=10), commands()


def test_a_client_that_goes_away_takes_its_process_with_it(container):
    with Session(state_dir(container), container.id) as session:
        session.send(abi.AGENT_EXEC, description("stdio", "pipes", "arg", "sleep", "arg", "777"))
        assert answer(session)[0] == abi.AGENT_STARTED
        assert "sleep 777" in [c for *_, c in processes(state_dir(container), container.id)]
    assert wait_until(lambda: "sleep 777" not in [c for *_, c in processes(state_dir(container), container.id)],
                      timeout=10)


def test_many_clients_at_once_each_get_their_own_answers(container):
    sessions = [Session(state_dir(container), container.id) for _ in range(20)]
    try:
        for i, session in enumerate(sessions):
            session.send(abi.AGENT_EXEC, description("stdio", "pipes", "arg", "echo", "arg", str(i)))
        for i, session in enumerate(sessions):
            frames = []
            while (frame := answer(session))[0] != abi.AGENT_EXIT:
                frames.append(frame)
            assert frames == [(abi.AGENT_STARTED, frames[0][1]), (abi.AGENT_STDOUT, f"{i}\n".encode())]
    finally:
        for session in sessions:
            session.close()


def test_stats_carry_the_guests_own_memory_and_cpu(docker_each_kind):
    """runu events --stats: the cgroup's numbers as runc's, and the guest kernel's view beside
    them, from a VM guest as from UML."""
    docker = docker_each_kind
    busy = docker.start(["sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo done; sleep 300"],
                        mem_limit="128m")
    assert wait_until(lambda: b"done" in busy.logs(), timeout=60)
    runu = Path(sys.executable).with_name("runu")

    def guest():
        out = subprocess.run([runu, "--root", RUNTIME_ROOT, "events", "--stats", busy.id],
                             capture_output=True, text=True, timeout=60)
        return json.loads(out.stdout)["data"]["guest"]

    stats = guest()
    assert 100 << 20 < stats["memory.MemTotal"] <= 128 << 20  # the guest's mem=, less the kernel's own
    assert 0 < stats["memory.MemAvailable"] < stats["memory.MemTotal"]
    assert stats["cpu.user"] + stats["cpu.system"] > 0  # the loop ran on the guest's CPU
