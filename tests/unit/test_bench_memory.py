"""The benchmarks' memory split (benchmarks.memory) on a real process whose mappings are known."""

import subprocess
import sys

from benchmarks.memory import PRIVATE_ANON, SHARED, pss_by_mapping_kib

# Touches 8 MiB of shared memory (as a UML kernel's RAM is mapped) and 4 MiB of private.
HOLDER = """
import mmap, sys
shared = mmap.mmap(-1, 8 << 20, flags=mmap.MAP_SHARED)
private = mmap.mmap(-1, 4 << 20, flags=mmap.MAP_PRIVATE)
for m in (shared, private):
    m.write(b"x" * len(m))
print("ready", flush=True)
sys.stdin.read()
"""


def test_shared_and_private_memory_land_in_their_classes():
    holder = subprocess.Popen([sys.executable, "-c", HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout.readline() == b"ready\n"
        split = pss_by_mapping_kib({holder.pid})
    finally:
        holder.stdin.close()
        holder.wait()
    assert 8 << 10 <= split[SHARED] < 9 << 10
    assert split[PRIVATE_ANON] >= 4 << 10
