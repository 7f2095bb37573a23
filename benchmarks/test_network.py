"""Network and idle memory per runtime, host <-> container over Docker's bridge: iperf3
throughput, ping RTT, TCP request/response latency (fresh connection and established one), and
RSS/PSS of an idle container. runc first: the reference.

TCP latencies are pytest-benchmark rounds (the run's summary prints them as ratios to runc);
throughput, ping and memory are sampled directly. Everything lands in
benchmarks/results/network-<time>.json. No thresholds: numbers only.
"""

import os
import statistics
import time

import pytest

from benchmarks import dockerenv, memory, netprobe, results
from benchmarks.stats import summary

NAMES = ("runc", "crun", "runu-default", "runu-tiny", "runu-lkl", "runsc-ptrace")
RUNTIMES = [r for r in dockerenv.runtimes() if r.name in NAMES]
# runsc's gofer is outside State.Pid's tree; the lkl kind refuses busybox (static: no preload),
# and the density suite measures its memory with the ThingVisor.
MEMORY_RUNTIMES = ("runc", "crun", "runu-default", "runu-tiny")
# The lkl kind's kernel lives in the one process that opened the container's tap: the peer image's
# echo server and iperf3 cannot share it, so there the peer is iperf3 alone, and the echo
# latencies are not measured.
IPERF_ONLY = ("runu-lkl",)
IPERF_RUNS, IPERF_SECONDS = 3, 5
PINGS, PING_INTERVAL = 50, 0.05
TCP_ROUNDS = 200
ECHO_PORT = 7
IDLE_SECONDS = 3


@pytest.fixture(scope="module")
def session(request):
    """dockerd with every runtime, the images, and the numbers of the run; at the end the
    results file is written and a summary printed, whatever failed."""
    from unikraft_build.targets import build_image
    from unikraft_build.images import busybox_image

    if missing := set(NAMES) - {r.name for r in RUNTIMES}:
        pytest.fail(f"runtimes to measure are missing here: {', '.join(sorted(missing))}")
    with dockerenv.docker_session() as (client, labels):
        numbers = {r.name: {} for r in RUNTIMES}
        yield client, labels, build_image("iperf3").where, busybox_image(client), numbers
    _ratios(numbers)
    path = results.save("network", {
        "what": {
            "throughput": f"iperf3 -c IP -t {IPERF_SECONDS} -J from the host, {IPERF_RUNS} runs, "
                          "Gbit/s received by iperf3 -s in the container",
            "ping": f"ping -i {PING_INTERVAL} -c {PINGS} from the host",
            "tcp_crr": "connect, 64 B request, 64 B echo, close (one-process echo server in the guest)",
            "tcp_rr": "64 B request and its echo on an established connection",
            "memory": f"RSS and PSS summed over the process tree of State.Pid, busybox sleep, idle "
                      f"{IDLE_SECONDS} s (containerd-shim not counted)",
        },
        "runtimes": numbers,
    })
    _print_summary(request.config, numbers, path)


def _ratios(numbers: dict) -> None:
    """Each runtime's headline numbers over runc's (throughput, median latencies, PSS)."""
    keys = {"throughput": "median_gbps", "ping": "median_us", "tcp_crr": "median_us",
            "tcp_rr": "median_us", "memory": "pss_kib"}
    ref = numbers.get("runc", {})
    for measured in numbers.values():
        for what, key in keys.items():
            if key in measured.get(what, {}) and key in ref.get(what, {}):
                measured[what]["ratio_to_runc"] = round(measured[what][key] / ref[what][key], 3)


def _print_summary(config, numbers: dict, path) -> None:
    write = config.pluginmanager.getplugin("terminalreporter").write_line
    with config.pluginmanager.getplugin("capturemanager").global_and_fixture_disabled():
        write(f"\nnetwork results (median, x runc): {path}")
        for name, m in numbers.items():
            cells = [f"{name:<13}"]
            for what, key, unit in (("throughput", "median_gbps", "Gbit/s"), ("ping", "median_us", "us ping"),
                                    ("tcp_crr", "median_us", "us crr"), ("tcp_rr", "median_us", "us rr"),
                                    ("memory", "pss_kib", "KiB pss")):
                if key in m.get(what, {}):
                    cells.append(f"{m[what][key]:>8.1f} {unit} (x{m[what].get('ratio_to_runc', float('nan')):.2f})")
            write("  ".join(cells))


def _us(samples: list[float]) -> dict:
    """summary() of latencies in seconds, in microseconds: ms rounding would hide a ping."""
    return {key.replace("_ms", "_us"): value for key, value in summary([s * 1000 for s in samples]).items()}


def _run(client, labels, runtime, image, command=None):
    """A detached container of `image` under `runtime`, with its bridge IP known."""
    container = client.containers.run(image, command, detach=True, runtime=runtime.docker,
                                      environment=runtime.env, labels=labels)
    container.reload()
    return container


@pytest.fixture(scope="module", params=RUNTIMES, ids=[r.name for r in RUNTIMES])
def peer(request, session):
    """(runtime, container IP, its numbers): an iperf3 + echo container, answering."""
    client, labels, image, _, numbers = session
    runtime = request.param
    iperf_only = runtime.name in IPERF_ONLY
    container = _run(client, labels, runtime, image, ["iperf3", "-s"] if iperf_only else None)
    try:
        ip = container.attrs["NetworkSettings"]["IPAddress"]
        if not iperf_only:  # iperf3's own probe waits out refusals
            netprobe.wait_echo(ip, ECHO_PORT)
        # runu pins each sandbox to one CPU (picked from its id): where it landed explains noise
        numbers[runtime.name]["cpus"] = sorted(os.sched_getaffinity(container.attrs["State"]["Pid"]))
        yield runtime, ip, numbers[runtime.name]
    finally:
        container.remove(force=True)


def test_throughput(peer):
    runtime, ip, numbers = peer
    runs = [netprobe.iperf3(ip, IPERF_SECONDS) for _ in range(IPERF_RUNS)]
    gbps = [r["gbps"] for r in runs]
    numbers["throughput"] = {"gbps": [round(g, 3) for g in gbps], "median_gbps": round(statistics.median(gbps), 3),
                             "retransmits": [r["retransmits"] for r in runs]}


def test_ping(peer):
    runtime, ip, numbers = peer
    rtts = netprobe.ping_rtts(ip, PINGS, PING_INTERVAL)
    numbers["ping"] = {**_us(rtts), "lost": PINGS - len(rtts)}
    assert rtts, f"no ping reply from {runtime.name} at {ip}"


def _require_echo(runtime) -> None:
    if runtime.name in IPERF_ONLY:
        pytest.skip(f"{runtime.name}: no echo server beside iperf3 (one networked process per container)")


def _latency(benchmark, group: str, runtime, fn, *args) -> dict:
    benchmark.group = group
    benchmark.extra_info["runtime"] = runtime.name
    benchmark.pedantic(fn, args=args, rounds=TCP_ROUNDS, warmup_rounds=10)
    return _us(benchmark.stats.stats.data)


def test_tcp_connect_request(benchmark, peer):
    runtime, ip, numbers = peer
    _require_echo(runtime)
    numbers["tcp_crr"] = _latency(benchmark, "tcp connect+request", runtime, netprobe.connect_exchange_close,
                                  ip, ECHO_PORT)


def test_tcp_request_response(benchmark, peer):
    runtime, ip, numbers = peer
    _require_echo(runtime)
    with netprobe.connect(ip, ECHO_PORT) as sock:
        numbers["tcp_rr"] = _latency(benchmark, "tcp request/response", runtime, netprobe.exchange, sock)


@pytest.mark.parametrize("name", MEMORY_RUNTIMES)
def test_idle_memory(name, session):
    client, labels, _, busybox, numbers = session
    runtime = next(r for r in RUNTIMES if r.name == name)
    container = _run(client, labels, runtime, busybox, ["sleep", "3600"])
    try:
        time.sleep(IDLE_SECONDS)
        container.reload()
        assert container.status == "running", f"{name}: the idle container is {container.status}"
        numbers[name]["memory"] = memory.usage_kib(container.attrs["State"]["Pid"], container.id)
    finally:
        container.remove(force=True)
