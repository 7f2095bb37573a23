"""Runs inside a container (python3 of the python-listen image): what guest execution costs.
Prints one line of NAME=VALUE pairs (the image's Python has no json module)."""

import os
import sys
import time

PAGES = 4096  # 16 MiB of fresh anonymous memory
CHILD_RUNS = 7


def minor_faults(children: bool = False) -> int:
    fields = open("/proc/self/stat").read().rsplit(")", 1)[1].split()
    return int(fields[8 if children else 7])


def anonymous_page_us() -> float:
    """Writing fresh anonymous memory, per page: a page fault each (or per block, fault-around)."""
    started = time.perf_counter()
    bytearray(PAGES * 4096)  # zero-filled by a write: every page faults in
    return (time.perf_counter() - started) / PAGES * 1e6


def syscall_us() -> float:
    started = time.perf_counter()
    for _ in range(2000):
        os.getppid()
    return (time.perf_counter() - started) / 2000 * 1e6


def python_start_ms() -> tuple[float, float]:
    """fork + exec of `python3 -c pass` to its exit: median ms, and its minor faults per run."""
    times = []
    faults_before = minor_faults(children=True)
    for _ in range(CHILD_RUNS):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os.execv(sys.executable, [sys.executable, "-c", "pass"])
        os.waitpid(pid, 0)
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2] * 1e3, (minor_faults(children=True) - faults_before) / CHILD_RUNS


start_ms, start_faults = python_start_ms()
print(f"anon_page_us={anonymous_page_us():.2f} syscall_us={syscall_us():.2f} python_start_ms={start_ms:.1f} "
      f"python_start_faults={start_faults:.0f}")
