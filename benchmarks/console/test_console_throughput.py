"""Console throughput: 50 MB written to stdout by a container (`head -c 50000000 /dev/zero`,
the issue's own test), under runc and runu, four ways (benchmarks/console/movers.py): `docker
run` attached with and without -t, and `RUNTIME run` of a bundle into a pipe and into a
terminal. Each way also runs the same command writing nothing, so that the time the bytes take
is told apart from starting and stopping the container: MB/s net of that. Interleaved, ROUNDS
each; ratios are against runc in the same run.
"""

import functools
import json
import os
import subprocess

import pytest

from benchmarks import dockerenv, results
from benchmarks.conftest import RUNU
from benchmarks.console import movers
from benchmarks.startup.sampler import interleave

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_CONSOLE_ROUNDS", "5"))
BULK = 50_000_000
WAYS = {"docker": ("docker", False), "docker -t": ("docker", True),
        "bundle, pipe": ("bundle", False), "bundle, terminal": ("bundle", True)}
RUNTIMES = [r for r in dockerenv.runtimes() if r.name in ("runc", "runu-default")]
BINARIES = {"runc": "runc", "runu-default": RUNU}


def _writer(size: int) -> list[str]:
    return ["sh", "-c", f"head -c {size} /dev/zero"]


def _bundle(busybox_bundle, work, size: int, tty: bool):
    """A bundle of the shared busybox rootfs whose process writes `size` bytes."""
    work.mkdir(parents=True)
    spec = json.loads((busybox_bundle / "config.json").read_text())
    spec["root"]["path"] = str(busybox_bundle / "rootfs")
    spec["process"]["args"] = _writer(size)
    spec["process"]["terminal"] = tty
    (work / "config.json").write_text(json.dumps(spec))
    return work


def _contenders(client, labels, image, busybox_bundle, tmp_path_factory) -> dict:
    """(way, runtime, bytes) -> a callable timing one run."""
    found = {}
    for way, (how, tty) in WAYS.items():
        for runtime in RUNTIMES:
            for size in (BULK, 0):
                if how == "docker":
                    found[way, runtime.name, size] = functools.partial(
                        movers.docker, client, labels, runtime, image, _writer(size), size, tty)
                    continue
                work = tmp_path_factory.mktemp(f"{runtime.name}-{'tty' if tty else 'pipe'}-{size}")
                bundle = _bundle(busybox_bundle, work / "bundle", size, tty)
                found[way, runtime.name, size] = functools.partial(
                    movers.bundle, BINARIES[runtime.name], work / "state", bundle, size, tty)
    return found


def _arrange(numbers: dict) -> dict:
    """runtime -> way -> the bulk run's timings, the empty run's median, MB/s and MB/s net of
    the empty run, and the ratio of the bulk medians to runc's (or the error)."""
    arranged: dict = {}
    for (way, runtime, size), measured in numbers.items():
        if size:
            empty = numbers[way, runtime, 0]
            entry = dict(measured)
            if "error" not in entry and "error" in empty:
                entry = {"error": f"writing nothing: {empty['error']}"}
            if "error" not in entry:
                seconds, idle = entry["median_ms"] / 1000, empty["median_ms"] / 1000
                entry.update(empty_median_ms=empty["median_ms"], mb_per_s=round(BULK / 1e6 / seconds, 1),
                             net_mb_per_s=round(BULK / 1e6 / max(seconds - idle, 1e-3), 1))
            arranged.setdefault(runtime, {})[way] = entry
    for runtime, ways in arranged.items():
        for way, entry in ways.items():
            ref = arranged.get("runc", {}).get(way, {})
            if "median_ms" in entry and "median_ms" in ref:
                entry["ratio_to_runc"] = round(entry["median_ms"] / ref["median_ms"], 3)
    return arranged


@pytest.fixture(scope="module")
def measured(busybox_bundle, tmp_path_factory):
    from unikraft_build.images import busybox_image

    if subprocess.run(["which", "runc"], capture_output=True).returncode:
        pytest.fail("runc is not installed: the comparison needs it")
    with dockerenv.docker_session() as (client, labels):
        image = busybox_image(client)
        contenders = _contenders(client, labels, image, busybox_bundle, tmp_path_factory)
        named = {f"{way} | {runtime} | {size}": run for (way, runtime, size), run in contenders.items()}
        numbers = interleave(named, ROUNDS, progress=lambda line: print(f"console: {line}", flush=True))
    by_key = {key: numbers[f"{key[0]} | {key[1]} | {key[2]}"] for key in contenders}
    arranged = _arrange(by_key)
    results.save("console", {
        "what": {"workload": f"sh -c 'head -c {BULK} /dev/zero' in runu/busybox (and the same with 0 bytes)",
                 **{way: ("docker run" + (" -t" if tty else "") + ", stdout and stderr attached, to the exit status"
                          if how == "docker" else "RUNTIME run of a busybox bundle, " +
                          ("--detach --console-socket, the pty master read to its end" if tty else
                           "stdout a pipe read to its end, to the exit status"))
                    for way, (how, tty) in WAYS.items()},
                 "columns": "median ms of the bulk run; MB/s of it whole and net of the 0-byte run's median"},
        "bytes": BULK,
        "rounds": ROUNDS,
        "runtimes": arranged,
    })
    return arranged


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("runtime", [r.name for r in RUNTIMES])
def test_console_throughput(runtime, way, measured):
    entry = measured[runtime][way]
    if "error" in entry:
        pytest.fail(f"{runtime}, {way}: {entry['error']}")
