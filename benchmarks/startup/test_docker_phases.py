"""Where `docker run` spends its time, per runtime: each call Docker makes to the runtime timed
by a wrapper around it (benchmarks/startup/verbclock), and the stretches between the calls,
for runc, runu's UML kind and its lkl kind, interleaved, ROUNDS each.

The wrapper costs each runtime the same (one bash per call, no clock process), so the phases
compare like for like: what Docker does before create, create (the prestart hook included),
containerd between create and start, start, and start until the program greets.
Numbers only: benchmarks/results/phases-<time>.json."""

import functools
import os
import statistics
import time
from pathlib import Path

import pytest

from benchmarks import dockerenv, results
from benchmarks.probe import wait_ready
from benchmarks.startup.launchers import IMAGE, PORT, READY_TIMEOUT
from benchmarks.startup.sampler import interleave, require_measured

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "20"))
HERE = Path(__file__).resolve().parent
LOGS = Path("/var/tmp/runu-verbclock")
PHASES = ("docker to create", "create", "create to start", "start", "start to greeting")
# name -> (the wrapper's registration, the real runtime it runs, the container's environment)
CONTENDERS = {
    "runc": ("verbclock-runc", "runc", {}),
    "runu-default": ("verbclock-runu", "runu", {"RUNU_KERNEL_PROFILE": "default"}),
    "runu-lkl": ("verbclock-runu", "runu", {"RUNU_SANDBOX": "lkl"}),
}


def _calls(log: Path, container_id: str) -> dict[str, tuple[float, float]]:
    """verb -> (start, end) of the first call of each verb Docker made for the container."""
    found = {}
    for line in log.read_text().splitlines():
        start, end, status, *args = line.split()
        if container_id in args:
            verb = next(a for a in args if a in ("create", "start", "state", "kill", "delete"))
            if status != "0":
                raise RuntimeError(f"{log.name} {verb} exited {status}: {' '.join(args)}")
            found.setdefault(verb, (float(start), float(end)))
    return found


def _one_run(client, labels: dict, name: str, phases: dict[str, list[dict]]) -> float:
    """docker run until the greeting; its phases appended to phases[name]; seconds in all."""
    docker_name, real, env = CONTENDERS[name]
    started = time.time()
    container = client.containers.run(IMAGE, detach=True, runtime=docker_name, environment=env,
                                      labels=labels, ports={"8080/tcp": ("127.0.0.1", PORT)})
    try:
        greeted = wait_ready("127.0.0.1", PORT, READY_TIMEOUT) - time.monotonic() + time.time()
        calls = _calls(LOGS / real, container.id)
    finally:
        container.remove(force=True)
    (create_start, create_end), (start_start, start_end) = calls["create"], calls["start"]
    marks = (started, create_start, create_end, start_start, start_end, greeted)
    phases[name].append({phase: (b - a) * 1000 for phase, a, b in zip(PHASES, marks, marks[1:])})
    return greeted - started


@pytest.fixture(scope="module")
def measured():
    LOGS.mkdir(exist_ok=True)
    for log in LOGS.iterdir():
        log.unlink()
    wrappers = {docker_name: str(HERE / docker_name) for docker_name, _, _ in CONTENDERS.values()}
    phases: dict[str, list[dict]] = {name: [] for name in CONTENDERS}
    with dockerenv.docker_session(wrappers) as (client, labels):
        contenders = {name: functools.partial(_one_run, client, labels, name, phases) for name in CONTENDERS}
        numbers = interleave(contenders, ROUNDS, progress=lambda line: print(f"phases: {line}", flush=True))
    for name, runs in phases.items():
        if "error" not in numbers[name]:
            runs = runs[-ROUNDS:]  # the warm-up round's phases are not kept
            numbers[name]["phases_median_ms"] = {p: round(statistics.median(r[p] for r in runs), 1) for p in PHASES}
            numbers[name]["phases_ms"] = [{p: round(ms, 1) for p, ms in r.items()} for r in runs]
    results.save("phases", {
        "what": "docker run -d -p 127.0.0.1:PORT:8080 runu/python-listen until it greets on PORT; "
                "each runtime call timed by benchmarks/startup/verbclock",
        "rounds": ROUNDS,
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", list(CONTENDERS))
def test_docker_run_phases(name, measured):
    require_measured(measured, name)
