"""`docker run --runtime=runu-lkl`: the container's program runs on the host kernel, in its rootfs
and namespaces as under runc, while its sockets are served by Linux as a library, linked into it
(runu/sandbox/lkl.py) on the container's tap."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from docker.errors import APIError

from kernelbuild.library import installed_problem
from runu.elfarch import host_arch
from tests.integration.docker.conftest import RUNTIME_ROOT, _docker_session, wait_until
from tests.integration.docker.netutil import container_ip
from unikraft_build.targets import build_image

pytestmark = pytest.mark.needs_guest_network


@pytest.fixture(scope="module")
def python_image(docker_client) -> str:
    """A glibc image with Python (the startup benchmark's listener)."""
    return build_image("python-listen", "docker").where


@pytest.fixture
def docker_lkl(docker_client, image):
    if (problem := installed_problem(host_arch())) is not None:
        pytest.skip(f"{problem}: `invoke lkl.build` builds it")
    yield from _docker_session(docker_client, image, "runu-lkl")


# Listens on 8080, says which TCP listeners on 8080 the host's stack has in this network namespace
# (none: the listener is the library kernel's), then greets one client with its own address.
LISTENER = """
import socket
server = socket.socket()
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("0.0.0.0", 8080))
server.listen()
with open("/proc/net/tcp") as table:
    host_listeners = [line.split()[1] for line in table.readlines()[1:]
                      if line.split()[3] == "0A" and line.split()[1].endswith(":1F90")]
print("host stack listeners on 8080:", host_listeners, flush=True)
conn, peer = server.accept()
conn.sendall(f"hello {peer[0]}\\n".encode())
conn.close()
"""


def test_a_python_server_answers_through_the_library_kernel(docker_lkl, python_image):
    network = docker_lkl.network()
    c = docker_lkl.start(["python3", "-c", LISTENER], image=python_image, network=network.name)
    assert wait_until(lambda: b"listeners" in c.logs(), timeout=30), c.logs()
    assert "host stack listeners on 8080: []" in c.logs().decode()
    ip = container_ip(c, network.name)
    with socket.create_connection((ip, 8080), timeout=10) as s:
        mine = s.getsockname()[0]
        assert s.makefile().readline() == f"hello {mine}\n"
    assert c.wait(timeout=30)["StatusCode"] == 0


def test_the_program_runs_on_the_host_kernel_in_its_rootfs(docker_lkl, python_image):
    import os

    r = docker_lkl.run(["python3", "-c", "import os; print(os.uname().release, os.getuid(), "
                                         "os.path.exists('/usr/local/bin/listen.py'), sorted(os.listdir('/proc/self/fd')))"],
                       image=python_image, network_mode="none")
    release, uid, own_rootfs, fds = r.stdout.strip().split(maxsplit=3)
    assert (r.code, release, uid, own_rootfs) == (0, os.uname().release, "0", "True"), r.stderr
    assert fds == "['0', '1', '2', '3']"  # nothing of the sandbox's leaks into it (3: listdir's own)


def test_exit_status_stdin_and_stop_reach_the_program(docker_lkl, python_image):
    assert docker_lkl.run(["python3", "-c", "raise SystemExit(3)"], image=python_image).code == 3
    c = docker_lkl.create(["python3", "-c", "import sys; print(sys.stdin.read().upper())"], image=python_image,
                          stdin_open=True)
    sock = c.attach_socket(params={"stdin": 1, "stream": 1})
    c.start()
    sock._sock.sendall(b"through stdin\n")
    sock._sock.shutdown(socket.SHUT_WR)
    assert c.wait(timeout=30)["StatusCode"] == 0
    assert c.logs(stderr=False).decode() == "THROUGH STDIN\n\n"
    handler = ("import signal, sys, time\n"
               "signal.signal(signal.SIGTERM, lambda *a: (print('TERM', flush=True), sys.exit(7)))\n"
               "print('up', flush=True)\ntime.sleep(60)")
    c = docker_lkl.start(["python3", "-c", handler], image=python_image)
    assert wait_until(lambda: b"up" in c.logs(), timeout=30)
    c.stop(timeout=10)
    assert (c.wait(timeout=30)["StatusCode"], c.logs(stderr=False).decode()) == (7, "up\nTERM\n")


def test_a_statically_linked_program_is_refused_in_one_line(docker_lkl):
    with pytest.raises(APIError) as refused:
        docker_lkl.run(["echo", "hi"])  # busybox: static
    message = str(refused.value)
    assert "echo (/bin/busybox) is statically linked: the lkl sandbox kind routes a program's sockets " \
           "through the dynamic loader (LD_PRELOAD)" in message, message


def test_exec_is_refused_in_one_line_and_stats_come_without_a_guest_view(docker_lkl, python_image):
    """The program runs alone (no guest init, no agent): exec says so and ends, events --stats
    gives the cgroup's numbers alone, and the container goes on (both used to wait for an agent's
    answer forever; the exec held the container's shim, so even docker rm hung)."""
    c = docker_lkl.start(["python3", "-c", "import time; time.sleep(60)"], image=python_image,
                         network_mode="none")
    code, out = c.exec_run(["cat", "/proc/meminfo"])
    assert code != 0
    assert ("cannot exec in a container of the lkl sandbox kind: it runs its program alone, with no guest "
            "agent to start or list processes (the uml, vm kinds have one)") in out.decode()
    runu = Path(sys.executable).with_name("runu")
    stats = subprocess.run([runu, "--root", RUNTIME_ROOT, "events", "--stats", c.id], capture_output=True,
                           text=True, timeout=60)
    data = json.loads(stats.stdout)["data"]
    assert "guest" not in data and data["memory"]["usage"]["usage"] > 0
    c.reload()
    assert c.status == "running"
