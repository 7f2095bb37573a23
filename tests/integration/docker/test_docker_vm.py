"""`docker run --runtime=runu-vm`: the container's kernel in a microVM, behind the same
contract as runu's UML kind: output, exit codes, signals, volumes, Docker's network."""

import pytest

from runu.paths import kernel_dir
from tests.integration.docker.conftest import wait_until
from tests.integration.docker.netutil import HTTP_PORT, free_port, http_get, httpd
from unikraft_build.images import busybox_image

pytestmark = pytest.mark.skipif(not (kernel_dir("default", "x86_64") / "kernel.json").exists(),
                                reason="no x86_64 guest kernel built (invoke kernel.build --arch x86_64)")


def test_the_guest_is_an_x86_64_vm_with_runus_command_line(docker_vm):
    result = docker_vm.run(["sh", "-c", "uname -rm; cat /proc/cmdline"], timeout=120)
    assert result.code == 0, result.stderr
    machine, cmdline = result.stdout.splitlines()[:2]
    assert machine.split() == ["7.3.4", "x86_64"]
    assert "runu.fs=9p" in cmdline and "virtio_mmio.device=" in cmdline
    assert result.stderr == ""


@pytest.mark.parametrize("script, code", [("true", 0), ("echo out; echo err >&2; exit 7", 7)])
def test_exit_code_and_streams(docker_vm, script, code):
    result = docker_vm.run(["sh", "-c", script], timeout=120)
    assert result.code == code
    if code:
        assert (result.stdout, result.stderr) == ("out\n", "err\n")


def test_stop_kills_the_process_by_sigterm_143(docker_vm):
    """With --init the process is not the guest's pid 1, so TERM's default action ends it and
    docker-init reports death by signal 15."""
    c = docker_vm.start(["sh", "-c", "echo ready; exec sleep 300"], init=True)
    assert wait_until(lambda: b"ready" in c.logs(), timeout=60), c.logs()
    c.stop(timeout=30)
    assert c.wait(timeout=30)["StatusCode"] == 143


def test_published_tcp_port_reaches_httpd_in_the_vm(docker_vm):
    port = free_port()
    docker_vm.start(httpd("hello from a vm"), ports={f"{HTTP_PORT}/tcp": ("127.0.0.1", port)})
    assert wait_until(lambda: http_get("127.0.0.1", port), timeout=60) == "hello from a vm\n"


@pytest.fixture(scope="module")
def arm64_image(docker_client) -> str:
    return busybox_image(docker_client, "runu/busybox-arm64:latest", arch="arm64")


@pytest.mark.skipif(not (kernel_dir("default", "arm64") / "kernel.json").exists(),
                    reason="no arm64 guest kernel built (invoke kernel.build --arch arm64)")
def test_an_arm64_image_runs_in_an_arm64_vm_under_plain_runu(docker, arm64_image):
    """No runtime flag: the program's ELF says aarch64, so the guest is an arm64 VM (TCG)."""
    result = docker.run(["sh", "-c", "uname -m; ip -4 addr show eth0 | grep -c inet; exit 7"], image=arm64_image,
                        platform="linux/arm64", timeout=180)
    assert (result.code, result.stdout) == (7, "aarch64\n1\n"), result.stderr
