"""Linux as a library beside the host's stack and the UML kind: each stack brought up behind the
conformance suite's testbed (eth0 in a namespace, a tester namespace on the other end of a
veth), then from the tester: start to echo-ready, TCP request/response round trip, TCP echo
throughput, and the PSS of every process in the stack's namespace; plus the library kernel's own
boot to its first system call, in-process. Numbers only: benchmarks/results/lkl-<time>.json.
"""

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks import results
from netstack import address, netns
from netstack.stacks import ECHO_PORT
from netstack.testbed import Testbed
from tests.conformance.stacks import STACKS

NAMES = ("linux", "uml-default", "lkl")
STARTS, RR_ROUNDS, THROUGHPUT_BYTES, BOOTS = 5, 500, 32 << 20, 10
ROOT = Path(__file__).resolve().parents[2]
BOOT = """
import time
from lkl_bindings import Kernel
kernel = Kernel(memory_mb=64)
started = time.monotonic()
kernel.boot()
kernel.syscall("getpid")
print(time.monotonic() - started)
"""


def _pss_kib_in(ns: str) -> int:
    """PSS of every process whose network namespace is `ns`."""
    inode = os.stat(netns.path(ns)).st_ino
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}/ns/net").st_ino != inode:
                continue
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _round_trips(host: str) -> list[float]:
    with socket.create_connection((host, ECHO_PORT), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        times = []
        for _ in range(RR_ROUNDS):
            started = time.perf_counter()
            conn.sendall(b"x" * 64)
            got = b""
            while len(got) < 64:
                got += conn.recv(64 - len(got))
            times.append(time.perf_counter() - started)
    return times


def _throughput_mbps(host: str) -> float:
    """MB/s of payload echoed back: a writer thread and this reader, one connection."""
    import threading

    chunk = os.urandom(65536)
    with socket.create_connection((host, ECHO_PORT), timeout=30) as conn:
        started = time.perf_counter()
        writer = threading.Thread(target=lambda: [conn.sendall(chunk) for _ in range(THROUGHPUT_BYTES // len(chunk))])
        writer.start()
        received = 0
        while received < THROUGHPUT_BYTES:
            received += len(conn.recv(1 << 20))
        elapsed = time.perf_counter() - started
        writer.join()
    return THROUGHPUT_BYTES / elapsed / 1e6


def _measure(name: str) -> dict:
    starts, numbers = [], {}
    for i in range(STARTS):
        bed = Testbed(f"lb{i}").create()
        stack = STACKS[name]()
        try:
            if (why := stack.unavailable()) is not None:
                pytest.skip(f"{name}: {why}")
            began = time.monotonic()
            stack.start(bed)
            starts.append(time.monotonic() - began)
            if i == STARTS - 1:
                with netns.iproute(bed.tester_ns) as ipr:
                    address.add(ipr, bed.tester_if, bed.tester_ip, bed.prefixlen)
                numbers["pss_kib"] = _pss_kib_in(bed.stack_ns)
                with netns.entered(bed.tester_ns):
                    rtts = _round_trips(bed.stack_ip)
                    numbers["throughput_mbps"] = statistics.median(_throughput_mbps(bed.stack_ip) for _ in range(3))
                numbers["tcp_rr_median_us"] = statistics.median(rtts) * 1e6
        finally:
            stack.stop()
            bed.destroy()
    numbers["start_to_ready_median_ms"] = statistics.median(starts) * 1000
    return numbers


def _boots() -> list[float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [float(subprocess.run([sys.executable, "-c", BOOT], capture_output=True, text=True, check=True,
                                 env=env, cwd=ROOT).stdout) for _ in range(BOOTS)]


def test_library_kernel_beside_linux_and_uml():
    stacks = {name: _measure(name) for name in NAMES}
    boots = _boots()
    stacks["lkl"]["boot_to_first_syscall_median_ms"] = statistics.median(boots) * 1000
    reference = stacks["linux"]
    for name, numbers in stacks.items():
        numbers["ratios_to_linux"] = {key: round(numbers[key] / reference[key], 2)
                                      for key in ("start_to_ready_median_ms", "tcp_rr_median_us",
                                                  "throughput_mbps", "pss_kib") if reference.get(key)}
    path = results.save("lkl", {
        "what": {
            "start_to_ready": f"stack.start() on a fresh testbed until the echo service says ready, "
                              f"median of {STARTS}",
            "tcp_rr": f"64 B request and its echo on one connection from the tester, {RR_ROUNDS} rounds",
            "throughput": f"{THROUGHPUT_BYTES >> 20} MiB through the TCP echo (sent and read back "
                          f"concurrently), MB/s, median of 3",
            "pss": "PSS of every process in the stack's network namespace, echo service idle",
            "boot": f"lkl only: Kernel().boot() to the answer of its first getpid, in-process, "
                    f"median of {BOOTS} processes",
        },
        "stacks": stacks,
    })
    print(f"\nresults: {path}")
    for name, numbers in stacks.items():
        print(name, {k: (round(v, 1) if isinstance(v, float) else v) for k, v in numbers.items()})
