"""One start of the python-listen workload per call, timed from launch to its greeting.

A launcher returns the seconds from the moment it starts the workload until the workload
greets a client on its TCP port, and leaves nothing running behind it.
"""

import os
import subprocess
import time
from pathlib import Path

from benchmarks.probe import wait_ready

IMAGE = "runu/python-listen"
PORT = 18080  # host side; the container listens on 8080
LISTEN_PY = Path(__file__).resolve().parents[2] / "images/python-listen/files/usr/local/bin/listen.py"
READY_TIMEOUT = 60


def native() -> float:
    """The same program on the host, no container: the floor."""
    env = {**os.environ, "LISTEN_PORT": str(PORT)}
    started = time.monotonic()
    proc = subprocess.Popen(["/usr/bin/python3", str(LISTEN_PY)], env=env, stdout=subprocess.DEVNULL)
    try:
        return wait_ready("127.0.0.1", PORT, READY_TIMEOUT, alive=lambda: proc.poll() is None) - started
    finally:
        proc.kill()
        proc.wait()


def docker(client, labels: dict, runtime) -> float:
    """`docker run -d -p 127.0.0.1:PORT:8080 --runtime R python-listen` until it greets."""
    started = time.monotonic()
    container = client.containers.run(IMAGE, detach=True, runtime=runtime.docker, environment=runtime.env,
                                      labels=labels, ports={"8080/tcp": ("127.0.0.1", PORT)})
    try:
        return wait_ready("127.0.0.1", PORT, READY_TIMEOUT) - started
    finally:
        container.remove(force=True)

