"""Density: N idle ThingVisors per runtime (N from RUNU_BENCH_DENSITY, default 10,50,100):
memory per container, total, time to start them all and until all are ready. A runtime's
levels stop at its first failure, which is recorded as where it breaks.
"""

import os
import statistics
import time

import pytest

from benchmarks import dockerenv, results
from benchmarks.density import fleet
from benchmarks.results import mem_available_kib

pytestmark = pytest.mark.timeout(3600)  # a whole run, not one request
LEVELS = [int(n) for n in os.environ.get("RUNU_BENCH_DENSITY", "10,50,100").split(",")]
MEASURED = ["runc", "crun", "runsc-ptrace", "runu-default", "runu-tiny", "runu-lkl"]
SETTLE_S = 3  # let start-up work finish before memory is read


def _level(client, runtime, network, silo_ip, n) -> dict:
    labels = {dockerenv.LABEL: f"density-{runtime.name}-{n}-{os.getpid()}"}
    available_before = mem_available_kib()
    t0 = time.monotonic()
    try:
        containers = fleet.start(client, labels, runtime, network, silo_ip, n)
        started_s = time.monotonic() - t0
        fleet.wait_all_ready(containers, timeout=60 + 3 * n)
        ready_s = time.monotonic() - t0
        time.sleep(SETTLE_S)
        mem = fleet.memory(containers)
        drop = available_before - mem_available_kib()
    finally:
        dockerenv.remove_labelled(client, labels)
    per = mem.pop("per_container_kib")
    return {"n": n, "start_all_s": round(started_s, 2), "all_ready_s": round(ready_s, 2),
            "mean_per_container_kib": round(statistics.fmean(per)), "total_kib": sum(per),
            "mem_available_drop_kib": drop, **mem}


@pytest.fixture(scope="module")
def measured():
    wanted = {r.name: r for r in dockerenv.runtimes() if r.name in MEASURED}
    numbers = {}
    with fleet.silo_session() as (client, network, silo_ip):
        for name in MEASURED:
            levels, broke = [], None
            for n in LEVELS:
                print(f"density: {name} x {n}", flush=True)
                try:
                    levels.append(_level(client, wanted[name], network, silo_ip, n))
                except fleet.Broke as e:
                    broke = {"n": n, "running": e.running, "reason": str(e)[:500]}
                    print(f"density: {name} broke at {n}: {e}", flush=True)
                    break
            numbers[name] = {"levels": levels, "broke": broke}
    results.save("density", {
        "what": "N idle runu/thingvisor-sensor containers (PERIOD 3600 s) on one network with one "
                "vsilo-mqtt under runc; ready = 'connected to silo' in the log; memory = PSS of the "
                "container's pid, its descendants and its cgroup's members (no shim, no dockerd)",
        "levels": LEVELS,
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", MEASURED)
def test_density(name, measured):
    if not measured[name]["levels"]:
        pytest.fail(f"{name}: not even {LEVELS[0]} containers: {measured[name]['broke']['reason']}")
