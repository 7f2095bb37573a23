"""docker stats, pause, unpause, update and top on a runu container: true numbers from the
sandbox's own cgroup."""

import subprocess
import time
from datetime import datetime, timezone

from runu.sandbox.uml import UmlSandbox
from tests.integration.docker.conftest import wait_until

LOOP = ["sh", "-c", "while :; do :; done"]


def _read_time(sample: dict) -> float:
    """The sample's own timestamp (RFC 3339 with nanoseconds) in seconds."""
    stamp = sample["read"].rstrip("Z")
    whole, _, fraction = stamp.partition(".")
    return datetime.fromisoformat(whole).replace(tzinfo=timezone.utc).timestamp() + float(f"0.{fraction or 0}")


def _cpu_share(container) -> float:
    """CPUs used between two samples, as `docker stats` computes its CPU %."""
    first = container.stats(stream=False)
    time.sleep(2)
    second = container.stats(stream=False)
    used = second["cpu_stats"]["cpu_usage"]["total_usage"] - first["cpu_stats"]["cpu_usage"]["total_usage"]
    return used / 1e9 / (_read_time(second) - _read_time(first))


def test_stats_of_a_busy_loop_under_half_a_cpu(docker):
    c = docker.start(LOOP, nano_cpus=500_000_000, mem_limit="64m")
    time.sleep(1)
    share = _cpu_share(c)
    print(f"docker stats: busy loop under --cpus=0.5 uses {share:.3f} CPUs")
    assert 0.05 < share < 0.75  # bounded near half a CPU, and running (a loaded host gives it less)
    memory = c.stats(stream=False)["memory_stats"]
    assert 0 < memory["usage"] <= memory["limit"] < 1 << 30  # the sandbox's cgroup, not the host's


def test_pause_unpause_and_top(docker):
    c = docker.start(LOOP)
    time.sleep(1)
    kernel = [p for p in c.top()["Processes"] if p[-1].startswith("/kernel ")]
    assert len(kernel) == 1
    c.pause()
    c.reload()
    assert c.status == "paused"
    assert _cpu_share(c) < 0.05
    c.unpause()
    assert wait_until(lambda: c.reload() or c.status == "running")
    assert _cpu_share(c) > 0.1  # running again (how much depends on the host's load)


def _quota(container) -> int:
    """The sandbox's CPU quota as its cgroup holds it on the host (cgroup v1 here)."""
    pid = container.attrs["State"]["Pid"]
    cpu = next(line.split(":", 2)[2].strip() for line in open(f"/proc/{pid}/cgroup") if ":cpu," in line or ":cpu:" in line)
    return int(open(f"/sys/fs/cgroup/cpu{cpu}/cpu.cfs_quota_us").read())


def test_update_cpus_and_pids(docker):
    c = docker.start(LOOP, nano_cpus=300_000_000)
    c.reload()
    assert _quota(c) == 30_000  # --cpus 0.3 of the default 100 ms period
    # The SDK has no pids limit in update: the CLI, as a user would.
    subprocess.run(["docker", "update", "--cpus", "1", "--pids-limit", "40", c.id], check=True, capture_output=True)
    assert _quota(c) == 100_000
    assert c.stats(stream=False)["pids_stats"]["limit"] == 40 + UmlSandbox.pids_overhead
