"""Docker-level fixtures: dockerd running with runu registered (by the setup task's own
function), a locally built busybox image, and a `docker` fixture that remembers every
container, volume and network it makes, removes them even on failure, then checks that
nothing of runu's is left (state directory, sandbox processes)."""

import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import sandbox_processes
from unikraft_build.images import busybox_image

# Docker 20.10 hands this --root to every io.containerd.runc.v2 runtime, runu included.
RUNTIME_ROOT = Path("/var/run/docker/runtime-runc/moby").resolve()
LABEL = "org.runu.test"


def pytest_configure(config):
    config.addinivalue_line("markers", "needs_guest_network: needs eth0 handed to the guest "
                                       "(Docker networking under runu)")


@pytest.fixture(scope="session")
def docker_client():
    from dockerhost.daemon import client, ensure_docker

    ensure_docker()
    c = client()
    yield c
    c.close()


@pytest.fixture(scope="session")
def image(docker_client) -> str:
    return busybox_image(docker_client)


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str


def leftovers(container_id: str) -> list[str]:
    """What runu may leave of a removed container: its state directory, its processes."""
    left = []
    if (RUNTIME_ROOT / container_id).exists():
        left.append(f"state {RUNTIME_ROOT / container_id}")
    left += [f"process {pid}" for pid in sandbox_processes(under=RUNTIME_ROOT / container_id)]
    return left


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.05):
    """Poll until predicate() is truthy; return its last value (falsy on timeout)."""
    deadline = time.monotonic() + timeout
    while not (value := predicate()) and time.monotonic() < deadline:
        time.sleep(interval)
    return value


class Docker:
    """One test's view of dockerd: everything made here carries the test's label and is removed."""

    def __init__(self, client, image: str, runtime: str = "runu"):
        self.client, self.image, self.runtime = client, image, runtime
        self.label = {LABEL: uuid.uuid4().hex}
        self.containers, self.volumes, self.networks = [], [], []

    def create(self, command=None, runtime=None, image=None, **kw):
        c = self.client.containers.create(image or self.image, command, runtime=runtime or self.runtime,
                                          labels=self.label, **kw)
        self.containers.append(c)
        return c

    def start(self, command=None, **kw):
        """`docker run -d`."""
        c = self.create(command, **kw)
        c.start()
        return c

    def run(self, command=None, timeout: float = 60, **kw) -> Result:
        """`docker run` in the foreground: exit code and the two streams, kept apart."""
        c = self.start(command, **kw)
        code = c.wait(timeout=timeout)["StatusCode"]
        return Result(code, c.logs(stdout=True, stderr=False).decode(),
                      c.logs(stdout=False, stderr=True).decode())

    def volume(self):
        v = self.client.volumes.create(name=f"runu-test-{uuid.uuid4().hex[:12]}", labels=self.label)
        self.volumes.append(v)
        return v

    def network(self):
        n = self.client.networks.create(f"runu-test-{uuid.uuid4().hex[:12]}", driver="bridge",
                                        labels=self.label)
        self.networks.append(n)
        return n

    def labelled(self) -> list:
        """This test's containers, including any the docker CLI made with our label."""
        return self.client.containers.list(all=True, filters={"label": f"{LABEL}={self.label[LABEL]}"})

    def remove_all(self) -> None:
        from docker.errors import APIError, NotFound

        known = {c.id for c in self.containers}
        self.containers += [c for c in self.labelled() if c.id not in known]
        for obj, kw in [*((c, {"force": True, "v": True}) for c in self.containers),
                        *((v, {"force": True}) for v in self.volumes), *((n, {}) for n in self.networks)]:
            try:
                obj.remove(**kw)
            except NotFound:
                pass
            except APIError as e:
                if e.status_code != 409:  # 409: --rm is removing it already; leaks() waits
                    raise

    def leaks(self) -> list[str]:
        # Removal is asynchronous (--rm, a CLI killed mid-run): give it the time a loaded CI
        # machine needs; the waits end as soon as all is gone.
        wait_until(lambda: not self.labelled(), timeout=30)
        found = [f"container {c.short_id}" for c in self.labelled()]
        for c in self.containers:
            wait_until(lambda: not leftovers(c.id), timeout=30)  # the shim deletes right after the API returns
            found += leftovers(c.id)
        return found


def _docker_session(docker_client, image, runtime):
    d = Docker(docker_client, image, runtime)
    try:
        yield d
    finally:
        d.remove_all()
    left = d.leaks()
    assert not left, f"left behind: {left}"


@pytest.fixture
def docker(docker_client, image):
    yield from _docker_session(docker_client, image, "runu")


@pytest.fixture
def docker_vm(docker_client, image):
    """As `docker`, with runu-vm (runu with --sandbox vm) the containers' runtime."""
    yield from _docker_session(docker_client, image, "runu-vm")


@pytest.fixture(params=["runu", "runu-vm"])
def docker_each_kind(request, docker_client, image):
    """As `docker`, once per sandbox kind's runtime: what both must show alike."""
    from runu.paths import kernel_dir

    if request.param == "runu-vm" and not (kernel_dir("default", "x86_64") / "kernel.json").exists():
        pytest.skip("no x86_64 guest kernel built (invoke kernel.build --arch x86_64)")
    yield from _docker_session(docker_client, image, request.param)
