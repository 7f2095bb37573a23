"""`RUNTIME run` of busybox `true` on one bundle: runu against runc and crun.

Each round runs a fresh container id to completion, as a user's `run` does.
Ratios to runc are printed at the end of the run (see conftest.py).
"""

import itertools
import shutil
import subprocess

import pytest

from benchmarks.conftest import RUNU

ROUNDS = 25
RUNTIMES = {"runu": RUNU, "runc": "runc", "crun": "crun"}
_ids = itertools.count()


def _run(binary, root, bundle):
    cid = f"bench{next(_ids)}"
    subprocess.run([binary, "--root", str(root), "run", "--bundle", str(bundle), cid],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    if binary != RUNU:  # runu run deletes its container; runc and crun keep it
        subprocess.run([binary, "--root", str(root), "delete", "--force", cid], check=True)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_run_true(benchmark, runtime, busybox_bundle, tmp_path):
    binary = RUNTIMES[runtime]
    if not shutil.which(binary):
        pytest.fail(f"{binary} is not installed: the comparison needs it")
    benchmark.group = "run true"
    benchmark.extra_info["runtime"] = runtime
    benchmark.pedantic(_run, args=(binary, tmp_path, busybox_bundle), rounds=ROUNDS, warmup_rounds=2)


@pytest.mark.parametrize("runtime", ["runu", "runc"])
def test_state(benchmark, runtime, busybox_bundle, tmp_path):
    """The cost of one `state` call on a created container (the shim calls it often)."""
    binary = RUNTIMES[runtime]
    subprocess.run([binary, "--root", str(tmp_path), "create", "--bundle", str(busybox_bundle), "s1"],
                   check=True, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        benchmark.group = "state"
        benchmark.extra_info["runtime"] = runtime
        benchmark.pedantic(subprocess.run, args=([binary, "--root", str(tmp_path), "state", "s1"],),
                           kwargs={"check": True, "stdout": subprocess.DEVNULL}, rounds=ROUNDS)
    finally:
        subprocess.run([binary, "--root", str(tmp_path), "delete", "--force", "s1"], check=True)
