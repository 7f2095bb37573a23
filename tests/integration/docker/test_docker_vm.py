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


def test_read_only_volume_refuses_writes_and_a_writable_one_reaches_the_host(docker_vm, tmp_path):
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    (ro / "kept").write_text("host file\n")
    result = docker_vm.run(["sh", "-c", "cat /ro/kept; touch /ro/new; echo made > /rw/new"],
                           volumes={str(ro): {"bind": "/ro", "mode": "ro"}, str(rw): {"bind": "/rw", "mode": "rw"}},
                           timeout=120)
    assert result.stdout == "host file\n"
    assert "Read-only file system" in result.stderr
    assert sorted(p.name for p in ro.iterdir()) == ["kept"]
    assert (rw / "new").read_text() == "made\n"


def test_a_symlink_in_a_volume_resolves_inside_the_guest_not_on_the_host(docker_vm, tmp_path):
    secret = tmp_path / "host-only"
    secret.write_text("host secret\n")
    volume = tmp_path / "vol"
    volume.mkdir()
    (volume / "link").symlink_to(secret)
    result = docker_vm.run(["sh", "-c", "cat /vol/link; cat /vol/../../../../" + str(secret)],
                           volumes={str(volume): {"bind": "/vol", "mode": "rw"}}, timeout=120)
    assert "host secret" not in result.stdout
    assert result.code != 0


def test_published_tcp_port_reaches_httpd_in_the_vm(docker_vm):
    port = free_port()
    docker_vm.start(httpd("hello from a vm"), ports={f"{HTTP_PORT}/tcp": ("127.0.0.1", port)})
    assert wait_until(lambda: http_get("127.0.0.1", port), timeout=60) == "hello from a vm\n"


def test_memory_limit_sizes_the_vm(docker_vm):
    result = docker_vm.run(["sh", "-c", "grep MemTotal /proc/meminfo"], mem_limit="128m", timeout=120)
    total_kb = int(result.stdout.split()[1])
    assert 100 * 1024 < total_kb <= 128 * 1024


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
