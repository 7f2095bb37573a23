"""Crashes at any moment and many containers at once leave nothing `delete --force` can't clean."""

import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import RUNU, sandbox_processes


@pytest.mark.parametrize("delay_ms", [0, 5, 20, 40, 80, 150])
def test_sigkill_of_create_at_any_moment(runu, make_bundle, delay_ms, tmp_path):
    bundle = make_bundle(["sleep", "1000"])
    proc = subprocess.Popen([RUNU, "--root", str(runu.root), "create", "--bundle", str(bundle), "c1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(delay_ms / 1000)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # Whatever stage it reached, force-delete restores a clean slate: it succeeds, the id is
    # free again, and no process of the container is left.
    assert runu("delete", "--force", "c1", check=False).returncode == 0
    deadline = time.monotonic() + 5
    while sandbox_processes(under=tmp_path) and time.monotonic() < deadline:
        time.sleep(0.02)  # a launcher whose create died exits by itself
    assert not sandbox_processes(under=tmp_path)
    assert runu("list", "-q").stdout == b""
    runu("run", "--bundle", str(make_bundle(["true"])), "c1")  # the id can be used again


def test_sigkill_of_the_sandbox(runu, make_bundle):
    bundle = make_bundle(["sleep", "1000"])
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    os.kill(runu.state("c1")["pid"], signal.SIGKILL)
    deadline = time.monotonic() + 5
    while runu.state("c1")["status"] != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runu("delete", "--force", "c1")


def test_twenty_containers_at_once(runu, make_bundle):
    bundles = [make_bundle(["sh", "-c", f"sleep 0.$((RANDOM % 5)); echo {i}; exit {i}"]) for i in range(20)]

    def run(i):
        return runu("run", "--bundle", str(bundles[i]), f"c{i}", check=False, timeout=120)

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(run, range(20)))
    assert [r.returncode for r in results] == list(range(20))
    assert [r.stdout for r in results] == [f"{i}\n".encode() for i in range(20)]


def test_a_guest_kernel_panic_ends_run_with_a_nonzero_status(runu, make_bundle):
    """Before, a panicking kernel (the pid namespace's init) signalled itself SIGABRT in a loop
    that an init ignores, and `runu run` never returned."""
    def edit(spec):
        spec["process"]["capabilities"] = {k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")}
        spec["linux"]["resources"] = {"memory": {"limit": 64 << 20}}

    hog = "echo 1 > /proc/sys/vm/panic_on_oom && x=$(head -c 100000000 /dev/zero | tr '\\0' a)"
    result = runu("run", "-b", str(make_bundle(["sh", "-c", hog], edit=edit)), "c1", check=False, timeout=120)
    assert result.returncode == 128 + signal.SIGABRT
