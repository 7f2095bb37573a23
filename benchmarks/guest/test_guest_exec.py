"""Guest execution: what a program pays for running on a sandbox kernel. probe.py runs in the
python-listen image under runc (the host kernel: the peer) and under runu with the anonymous
fault-around of kernelbuild/patches/0006 off (fault_around_anon=1) and at its default (16
pages), interleaved; it reports the cost of a fresh anonymous page, of a system call, and of
`python3 -c pass` (time and page faults). Medians per contender, saved as kind "guest"."""

import json
import os
import shutil
import statistics
import subprocess
import itertools
from pathlib import Path

import pytest

from benchmarks import results
from benchmarks.conftest import RUNU
from benchmarks.startup import bundle

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "5"))
PROBE = Path(__file__).with_name("probe.py")
# name -> (binary, guest kernel tuning: org.runu.kernel.args)
CONTENDERS = {"runc": ("runc", None), "runu fault-around off": (RUNU, "fault_around_anon=1"),
              "runu": (RUNU, None)}
# python_start_faults: minor faults as the guest counts them (fault-around counts every page it fills)
METRICS = ("anon_page_us", "syscall_us", "python_start_ms", "python_start_faults")
_ids = itertools.count()


def _probe_bundle(built: Path, work: Path, binary: str, tuning: str | None) -> Path:
    # A rootfs of its own for every contender: the probe's mount point is made in it (the
    # root is read-only), which the built image must not get, nor its manifest check see.
    prepared = bundle.prepare(built, work / "bundle", own_rootfs=True)
    (work / "probe").mkdir()
    shutil.copy(PROBE, work / "probe" / "probe.py")
    spec = json.loads((prepared / "config.json").read_text())
    spec["process"]["args"] = ["python3", "/probe/probe.py"]
    spec["mounts"].append({"destination": "/probe", "type": "bind", "source": str(work / "probe"),
                           "options": ["rbind", "ro"]})
    spec.setdefault("annotations", {}).pop("org.runu.verify", None)
    if tuning:
        spec["annotations"]["org.runu.kernel.args"] = tuning
    (prepared / "config.json").write_text(json.dumps(spec))
    return prepared


def _run_probe(binary: str, state_root: Path, prepared: Path) -> dict:
    cid = f"guest{next(_ids)}"
    done = subprocess.run([binary, "--root", str(state_root), "run", "--bundle", str(prepared), cid],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    subprocess.run([binary, "--root", str(state_root), "delete", "--force", cid], capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{binary} run exited {done.returncode}: {done.stderr.decode(errors='replace')[-300:]}")
    pairs = done.stdout.decode().strip().splitlines()[-1].split()
    return {name: float(value) for name, value in (pair.split("=") for pair in pairs)}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from unikraft_build.targets import build_image

    built = Path(build_image("python-listen", "bundle", "default").where)
    runs = {}
    for name, (binary, tuning) in CONTENDERS.items():
        work = tmp_path_factory.mktemp("guest")
        runs[name] = (binary, work / "state", _probe_bundle(built, work, binary, tuning))
    samples = {name: [] for name in CONTENDERS}
    names = list(CONTENDERS)
    for r in range(ROUNDS):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(_run_probe(*runs[name]))
        print(f"guest: round {r + 1}/{ROUNDS}", flush=True)
    medians = {name: {m: round(statistics.median(s[m] for s in runs_), 2) for m in METRICS}
               for name, runs_ in samples.items()}
    results.save("guest", {"what": "probe.py in the python-listen image: a fresh anonymous page, a system call, "
                                   "python3 -c pass (median of 7 per run); medians over the runs",
                           "rounds": ROUNDS, "runtimes": {n: {"medians": medians[n], "samples": samples[n]}
                                                          for n in names}})
    for name in names:
        print(f"guest: {name:24s} " + "  ".join(f"{m} {medians[name][m]}" for m in METRICS), flush=True)
    return medians


@pytest.mark.parametrize("name", CONTENDERS)
def test_guest_exec(name, measured):
    assert all(measured[name][m] > 0 for m in METRICS)
