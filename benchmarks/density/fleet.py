"""A fleet of N idle ThingVisors under one runtime, connected to one virtual silo.

Each ThingVisor announces its things to the silo's broker once connected, then publishes once
an hour (PERIOD): idle. Ready means its log says it connected to the silo.
"""

import time
from contextlib import contextmanager

from benchmarks import dockerenv
from benchmarks.memory import footprint_kib, processes
from benchmarks.results import mem_available_kib

THINGVISOR = "runu/thingvisor-sensor"
SILO = "runu/vsilo-mqtt"
READY_LINE = b"connected to silo"
MIN_AVAILABLE_KIB = 4 * 1024 * 1024  # stop starting containers below this much free memory


class Broke(Exception):
    """The runtime could not go on: why, and how many containers were running by then."""

    def __init__(self, reason: str, running: int):
        super().__init__(reason)
        self.running = running


def start_silo(client, labels: dict, network: str) -> str:
    """The silo (under runc: it is not what is measured); its address on `network`."""
    silo = client.containers.run(SILO, detach=True, runtime="runc", network=network, labels=labels)
    silo.reload()
    return silo.attrs["NetworkSettings"]["Networks"][network]["IPAddress"]


@contextmanager
def silo_session():
    """(client, network name, silo address): dockerd with the compared runtimes, a network of
    this session's and the silo on it; everything of the session removed on exit."""
    with dockerenv.docker_session() as (client, labels):
        network = client.networks.create(f"runu-bench-{labels[dockerenv.LABEL][:8]}", labels=labels)
        try:
            yield client, network.name, start_silo(client, labels, network.name)
        finally:
            dockerenv.remove_labelled(client, labels)
            network.remove()


def start(client, labels: dict, runtime, network: str, silo_ip: str, n: int) -> list:
    containers = []
    for i in range(n):
        if mem_available_kib() < MIN_AVAILABLE_KIB:
            raise Broke(f"stopped: MemAvailable below {MIN_AVAILABLE_KIB // 1024} MiB", len(containers))
        env = {**runtime.env, "THINGVISOR_ID": f"tv{i}", "SILO_HOST": silo_ip, "PERIOD": "3600"}
        try:
            containers.append(client.containers.run(THINGVISOR, detach=True, runtime=runtime.docker,
                                                    environment=env, network=network, labels=labels))
        except Exception as e:  # the runtime's own error is the result
            raise Broke(f"start of container {i + 1} failed: {e}", len(containers)) from None
    return containers


def wait_all_ready(containers: list, timeout: float) -> None:
    waiting = list(containers)
    deadline = time.monotonic() + timeout
    while waiting:
        waiting = [c for c in waiting if READY_LINE not in c.logs()]
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise Broke(f"{len(waiting)} of {len(containers)} not ready after {timeout:.0f} s",
                        len(containers) - len(waiting))
        time.sleep(0.2)


def memory(containers: list) -> dict:
    """Per-container footprint (kib) and how it was read."""
    per, kinds = [], set()
    for c in containers:
        c.reload()
        kib, kind = footprint_kib(processes(c.attrs["State"]["Pid"], c.id))
        per.append(kib)
        kinds.add(kind)
    return {"per_container_kib": per, "read_as": "pss" if kinds == {"pss"} else "rss"}
