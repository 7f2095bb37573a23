"""Interactive use: -i feeds stdin (EOF included), -t gives a usable shell typed into the real
docker CLI under tmux, with the terminal's size and its resizes, for run and for exec."""

import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.integration.docker.conftest import LABEL, wait_until

DOCKER_CLI = "/usr/bin/docker"  # Debian's client, the daemon's own version


def test_stdin_reaches_the_process_and_eof_ends_it(docker):
    c = docker.create(["sh", "-c", "tr a-z A-Z; echo eof seen"], stdin_open=True)
    sock = c.attach_socket(params={"stdin": 1, "stream": 1})
    try:
        c.start()
        sock._sock.sendall(b"hello stdin\n")
        sock._sock.shutdown(socket.SHUT_WR)
        assert c.wait(timeout=30)["StatusCode"] == 0
    finally:
        sock.close()
    assert c.logs() == b"HELLO STDIN\neof seen\n"


class Tmux:
    """A private tmux server (its socket in the test's tmp dir) running one command in a
    fixed-size pane."""

    def __init__(self, socket_path: Path, command: list[str]):
        self.socket = str(socket_path)
        self("new-session", "-d", "-x", "100", "-y", "30", "--", *command)

    def __call__(self, *args) -> str:
        return subprocess.run(["tmux", "-S", self.socket, *args], capture_output=True, text=True, check=True).stdout

    def screen(self) -> str:
        return self("capture-pane", "-p")

    def type(self, *keys) -> None:
        self("send-keys", *keys)

    def wait_for(self, line: str, timeout: float = 30) -> None:
        """Until a screen line reads `line` (typed input is echoed, so only whole lines count);
        fails at once if the docker CLI has exited instead."""
        def shown():
            lines = [x.rstrip() for x in self.screen().splitlines()]
            return line in lines or any(x.startswith("exited ") for x in lines)

        wait_until(shown, timeout)
        assert line in [x.rstrip() for x in self.screen().splitlines()], self.screen()

    def resize_and_wait(self, columns: int, rows: int) -> None:
        """Resize the pane; the shell in it must come to see the size. Docker relays a resize
        asynchronously (CLI, daemon, shim, the console), so the size is asked until it arrives."""
        self("resize-window", "-x", str(columns), "-y", str(rows))

        def seen():
            self.type("clear; stty size", "Enter")
            time.sleep(0.3)
            return f"{rows} {columns}" in self.screen().splitlines()

        assert wait_until(seen, timeout=20, interval=0.2), self.screen()

    def close(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], capture_output=True)


def docker_run_it(docker) -> list[str]:
    """`docker run --rm -it IMG sh` in the real CLI, then its exit status on the screen."""
    cli = [DOCKER_CLI, "run", "--rm", "-it", f"--runtime={docker.runtime}", "--label", f"{LABEL}={docker.label[LABEL]}",
           docker.image, "sh"]
    return ["sh", "-c", f'{" ".join(cli)}; echo "exited $?"; sleep 600']


@pytest.fixture
def tmux(tmp_path):
    sessions = []

    def start(command):
        sessions.append(Tmux(tmp_path / f"tmux{len(sessions)}", command))
        return sessions[-1]

    yield start
    for session in sessions:
        session.close()


def test_docker_run_it_gives_a_usable_shell(docker, tmux):
    term = tmux(docker_run_it(docker))
    term.wait_for("/ #")
    term.type("echo $((6 * 7)); tty", "Enter")
    term.wait_for("42")
    term.wait_for("/dev/tty1")
    term.type("echo sleeping; sleep 600", "Enter")
    term.wait_for("sleeping")
    term.type("C-c")
    term.type("echo back", "Enter")
    term.wait_for("back")  # ^C ended the sleep: the guest's tty made it SIGINT
    term.type("exit 5", "Enter")
    term.wait_for("exited 5")


def test_docker_run_it_tty_has_the_terminal_size_and_follows_a_resize(docker_each_kind, tmux):
    term = tmux(docker_run_it(docker_each_kind))
    term.wait_for("/ #")
    term.type("stty size; echo sized", "Enter")
    term.wait_for("sized")
    assert "30 100" in term.screen().splitlines()
    term.resize_and_wait(120, 40)
    term.type("exit", "Enter")
    term.wait_for("exited 0")


def test_docker_exec_it_gives_a_shell_with_the_terminal_size_and_its_exit_code(docker, tmux):
    c = docker.start(["sleep", "300"])
    term = tmux(["sh", "-c", f"{DOCKER_CLI} exec -it {c.id} sh; echo \"exited $?\"; sleep 600"])
    term.wait_for("/ #")
    term.type("tty; stty size; echo sized", "Enter")
    term.wait_for("sized")
    lines = term.screen().splitlines()
    assert "/dev/pts/0" in lines and "30 100" in lines
    term.resize_and_wait(120, 40)
    term.type("exit 4", "Enter")
    term.wait_for("exited 4")
    c.reload()
    assert c.status == "running"  # the exec'd shell ended, not the container
