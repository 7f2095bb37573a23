"""`docker run --runtime=runu` of a Unikraft-layout image (unikraft_build packages it): no flag
needed, the container's address on the unikernel's command line, its arguments echoed. The
kernel is the tests' own (tests/integration/unikraft/kernel.c), not Unikraft."""

import pytest

from runu.paths import kernel_dir
from tests.integration.docker.conftest import wait_until
from tests.integration.docker.netutil import container_ip
from tests.integration.unikraft.conftest import build_test_kernel
from unikraft_build.unikernel import docker_image

pytestmark = pytest.mark.skipif(not (kernel_dir("default", "x86_64") / "kernel.json").exists(),
                                reason="the unikraft kind runs the x86_64 vm kind's QEMU (invoke kernel.build --arch x86_64)")


@pytest.fixture(scope="module")
def unikernel_image(docker_client, tmp_path_factory) -> str:
    tag = "runu/test-unikernel:latest"
    docker_image(docker_client, build_test_kernel(tmp_path_factory.mktemp("unikernel")), tag, args=("hello",))
    return tag


def test_the_unikernel_gets_its_arguments_and_the_containers_address(docker, unikernel_image):
    c = docker.create(["from", "docker", "exit=3"], image=unikernel_image)
    c.start()
    ip = container_ip(c)
    assert c.wait(timeout=60)["StatusCode"] == 3
    lines = c.logs(stdout=True, stderr=False).decode().splitlines()
    assert lines[0].startswith(f"netdev.ip={ip}/16:") and lines[1:] == ["args: from docker exit=3"]


def test_the_images_default_arguments_and_a_clean_halt(docker, unikernel_image):
    c = docker.start(image=unikernel_image)
    assert c.wait(timeout=60)["StatusCode"] == 0
    assert wait_until(lambda: b"args: hello" in c.logs())


def test_stop_ends_the_unikernel_with_143_and_other_signals_are_refused(docker, unikernel_image):
    from docker.errors import APIError

    c = docker.start(["wait"], image=unikernel_image)
    assert wait_until(lambda: b"args: wait" in c.logs(), timeout=60), c.logs()
    with pytest.raises(APIError, match="no processes to take signal 10"):
        c.kill("SIGUSR1")
    c.stop(timeout=30)  # TERM; KILL (137) only if TERM did nothing in 30 s
    assert c.wait(timeout=60)["StatusCode"] == 143
