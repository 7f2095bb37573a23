"""The vm kind beside runu's UML kind and runc, in one interleaved run (kind "vm"):

- `docker run` of python-listen until it greets on its published port (runc, runu, runu-vm:
  x86_64 under TCG here, or KVM where runu.kvm found it working, and plain runu given the
  recipe's arm64 image: an arm64 VM, TCG on an x86 host), with runu's phases from its events
  log (docker+create, guest boot to ready, ready to started, started to greeting);
- `docker run --rm busybox true` to its exit, adding runu-vm's arm64 guest (TCG) and plain
  runu given an arm64 image (which picks that VM itself);
- the idle footprint (PSS of the container's host processes) of a greeting python-listen.
Medians per contender; ratios to runc come from the dashboard."""

import os
import statistics
import time

import pytest

from benchmarks import dockerenv, results
from benchmarks.memory import usage_kib
from benchmarks.probe import wait_ready
from benchmarks.profile.phases import event_times, split
from benchmarks.startup.launchers import IMAGE, PORT, READY_TIMEOUT
from benchmarks.startup.sampler import interleave, require_measured
from unikraft_build.images import busybox_image

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "10"))
# name -> (dockerd runtime, environment)
LISTEN = {"runc": ("runc", {}), "runu": (dockerenv.RUNU_NAME, {}),
          "runu-vm": (dockerenv.RUNU_NAME, {"RUNU_SANDBOX": "vm"})}
ARM64 = "runu/busybox-arm64:latest"
LISTEN_ARM64 = "runu, python-listen arm64"


def _listen(client, labels, runtime, env, phases: list, footprints: list, image: str = IMAGE,
            platform: str | None = None) -> float:
    started = time.monotonic()
    wall = time.time()
    c = client.containers.run(image, detach=True, runtime=runtime, environment=env, labels=labels,
                              ports={"8080/tcp": ("127.0.0.1", PORT)}, platform=platform)
    try:
        ready = wait_ready("127.0.0.1", PORT, READY_TIMEOUT) - started
        events = event_times(c.id)
        if set(events) >= {"created", "ready", "started"}:
            phases.append(split(wall, events, wall + ready))
        c.reload()
        footprints.append(usage_kib(c.attrs["State"]["Pid"], c.id)["pss_kib"])
        return ready
    finally:
        c.remove(force=True)


def _true(client, labels, runtime, env, image, platform=None) -> float:
    started = time.monotonic()
    c = client.containers.run(image, ["true"], detach=True, runtime=runtime, environment=env, labels=labels,
                              platform=platform)
    try:
        code = c.wait(timeout=READY_TIMEOUT)["StatusCode"]
        if code:
            raise RuntimeError(f"busybox true exited {code}: {c.logs().decode()[-300:]}")
        return time.monotonic() - started
    finally:
        c.remove(force=True)


def _medians(rows: list[dict]) -> dict:
    return {key: round(statistics.median(row[key] for row in rows), 1) for key in rows[0]} if rows else {}


@pytest.fixture(scope="module")
def measured():
    from unikraft_build.targets import build_image

    with dockerenv.docker_session() as (client, labels):
        busybox = busybox_image(client)
        busybox_image(client, ARM64, arch="arm64")
        listen_arm64 = build_image("python-listen", "docker", arch="arm64").where
        phases = {name: [] for name in [*LISTEN, LISTEN_ARM64]}
        footprints = {name: [] for name in phases}
        listen = {name: (lambda n=name: _listen(client, labels, *LISTEN[n], phases[n], footprints[n]))
                  for name in LISTEN}
        listen[LISTEN_ARM64] = lambda: _listen(client, labels, dockerenv.RUNU_NAME, {}, phases[LISTEN_ARM64],
                                               footprints[LISTEN_ARM64], listen_arm64, "linux/arm64")
        true = {f"{name} (busybox true)": (lambda n=name: _true(client, labels, *LISTEN[n], busybox))
                for name in LISTEN}
        true["runu-vm arm64 (busybox true)"] = lambda: _true(client, labels, dockerenv.RUNU_NAME,
                                                             {"RUNU_SANDBOX": "vm"}, ARM64, "linux/arm64")
        true["runu, an arm64 image (busybox true)"] = lambda: _true(client, labels, dockerenv.RUNU_NAME, {},
                                                                    ARM64, "linux/arm64")
        numbers = interleave({**listen, **true}, ROUNDS, progress=lambda line: print(f"vm: {line}", flush=True))
    from runu import kvm

    results.save("vm", {
        "what": "docker run -d -p of runu/python-listen (and of its arm64 build) until it greets; "
                "docker run busybox true to its exit",
        "rounds": ROUNDS,
        "accel": "kvm" if kvm.ANSWER.exists() and kvm.ANSWER.read_text() == "yes" else "tcg",
        "runtimes": numbers,
        "phases_ms": {name: _medians(rows) for name, rows in phases.items()},
        "idle_pss_kib": {name: statistics.median(kib) for name, kib in footprints.items() if kib},
    })
    return numbers


@pytest.mark.parametrize("name", [*LISTEN, LISTEN_ARM64, *(f"{n} (busybox true)" for n in LISTEN), "runu-vm arm64 (busybox true)",
                                  "runu, an arm64 image (busybox true)"])
def test_vm_startup(name, measured):
    require_measured(measured, name)
