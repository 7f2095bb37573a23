"""Where one idle ThingVisor's memory goes, per runtime: the PSS of its host processes by mapping
class (a guest kernel's RAM is a shared mapping of its memory file), and, where the container
has a kernel of its own (its /proc/meminfo is not the host's), how that kernel spends its RAM.
"""

import os
import time

import pytest

from benchmarks import dockerenv, results
from benchmarks.density import fleet
from benchmarks.memory import processes, pss_by_mapping_kib
from benchmarks.results import meminfo_kib

pytestmark = pytest.mark.timeout(900)
MEASURED = ["runc", "runsc-ptrace", "runu-default", "runu-tiny", "runu-lkl"]
SETTLE_S = 3  # as the density levels: start-up work done


def guest_split_kib(meminfo: dict[str, int]) -> dict[str, int]:
    """A kernel's RAM in use by what holds it: its programs' anonymous memory, the page cache
    (files read, the programs' text among them), slab, stacks and page tables, and the rest."""
    used = meminfo["MemTotal"] - meminfo["MemFree"]
    split = {"anonymous": meminfo["AnonPages"], "page cache": meminfo["Cached"], "slab": meminfo["Slab"],
             "stacks and page tables": meminfo["KernelStack"] + meminfo["PageTables"]}
    return {"total": meminfo["MemTotal"], "used": used, **split, "other": used - sum(split.values())}


def _footprint(client, runtime, network: str, silo_ip: str, host_memtotal: int) -> dict:
    labels = {dockerenv.LABEL: f"footprint-{runtime.name}-{os.getpid()}"}
    try:
        [tv] = fleet.start(client, labels, runtime, network, silo_ip, 1)
        fleet.wait_all_ready([tv], timeout=60)
        time.sleep(SETTLE_S)
        tv.reload()
        host = pss_by_mapping_kib(processes(tv.attrs["State"]["Pid"], tv.id))
        code, out = tv.exec_run(["cat", "/proc/meminfo"])
    finally:
        dockerenv.remove_labelled(client, labels)
    found = {"host_pss_kib": {**host, "total": sum(host.values())}}
    if code != 0:  # the lkl kind's program runs alone: nothing to exec with
        return {**found, "note": f"no guest view: {out.decode(errors='replace').strip()[:300]}"}
    guest = meminfo_kib(out.decode())
    return {**found, **({"guest_kib": guest_split_kib(guest)} if guest["MemTotal"] != host_memtotal else {})}


@pytest.fixture(scope="module")
def measured():
    wanted = {r.name: r for r in dockerenv.runtimes() if r.name in MEASURED}
    host_memtotal = meminfo_kib()["MemTotal"]
    numbers = {}
    with fleet.silo_session() as (client, network, silo_ip):
        for name in MEASURED:
            print(f"footprint: {name}", flush=True)
            try:
                numbers[name] = _footprint(client, wanted[name], network, silo_ip, host_memtotal)
            except fleet.Broke as e:
                numbers[name] = {"error": str(e)[:500]}
    results.save("footprint", {
        "what": "one idle runu/thingvisor-sensor (PERIOD 3600 s) connected to a vsilo-mqtt under runc, "
                f"{SETTLE_S} s after ready; host: PSS of the container's pid, its descendants and its "
                "cgroup's members by mapping class; guest: the container's /proc/meminfo where it is "
                "not the host's (a kernel of its own)",
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", MEASURED)
def test_footprint(name, measured):
    if "error" in measured[name]:
        pytest.fail(f"{name}: {measured[name]['error']}")
