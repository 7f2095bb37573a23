"""What each verb containerd calls costs on its own: create, start, state, kill and delete of
the python-listen bundle (no network, no hooks), by runc, crun and runu, interleaved. The
verbs are timed from the caller's side, as containerd's shim waits for them; state is asked
of the running container, kill is SIGKILL, delete follows the container's stop. runu gets the
bundle as Docker would hand it over (no org.runu.verify) and, as runu-verified, as it is built:
its create then checks the rootfs against the manifest, which neither runc nor crun does."""

import itertools
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from benchmarks import results
from benchmarks.conftest import RUNU
from benchmarks.startup import bundle
from benchmarks.startup.sampler import interleave, require_measured
from benchmarks.stats import summary
from runu.treedigest import VERIFY_KEY

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "30"))
RUNTIMES = {"runc": "runc", "crun": "crun", "runu": RUNU, "runu-verified": RUNU}
VERBS = ("create", "start", "state", "kill", "delete")
_ids = itertools.count()


def _timed(cmd: list[str]) -> float:
    # A file, not a pipe: the container's process inherits create's stderr and keeps it open.
    with tempfile.TemporaryFile() as err:
        started = time.monotonic()
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        took = time.monotonic() - started
        if done.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"{' '.join(cmd[3:5])}: {err.read().decode(errors='replace').strip()[-300:]}")
    return took


def _wait_stopped(binary: str, root: Path, cid: str) -> None:
    deadline = time.monotonic() + 30
    while json.loads(subprocess.run([binary, "--root", str(root), "state", cid], capture_output=True,
                                    check=True).stdout)["status"] != "stopped":
        if time.monotonic() > deadline:
            raise RuntimeError(f"{cid} did not stop after SIGKILL")
        time.sleep(0.01)


def lifecycle(binary: str, root: Path, prepared: Path) -> dict[str, float]:
    """One container through every verb; seconds per verb."""
    cid = f"verbs{next(_ids)}"
    base = [binary, "--root", str(root)]
    took = {}
    try:
        took["create"] = _timed([*base, "create", "--bundle", str(prepared), cid])
        took["start"] = _timed([*base, "start", cid])
        took["state"] = _timed([*base, "state", cid])
        took["kill"] = _timed([*base, "kill", cid, "9"])
        _wait_stopped(binary, root, cid)
        took["delete"] = _timed([*base, "delete", cid])
    finally:
        if "delete" not in took:
            subprocess.run([*base, "delete", "--force", cid], capture_output=True)
    return took


def _without_verification(prepared: Path) -> None:
    spec = json.loads((prepared / "config.json").read_text())
    spec.get("annotations", {}).pop(VERIFY_KEY, None)
    (prepared / "config.json").write_text(json.dumps(spec))


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from unikraft_build.targets import build_image

    built = Path(build_image("python-listen", "bundle", "default").where)
    per_verb: dict[str, dict[str, list[float]]] = {name: {v: [] for v in VERBS} for name in RUNTIMES}
    contenders = {}
    for name, binary in RUNTIMES.items():
        work = tmp_path_factory.mktemp(name)
        prepared = bundle.prepare(built, work / "bundle", own_rootfs=binary != RUNU)
        if name == "runu":
            _without_verification(prepared)

        def one(name=name, binary=binary, root=work / "state", prepared=prepared) -> float:
            took = lifecycle(binary, root, prepared)
            for verb, seconds in took.items():
                per_verb[name][verb].append(seconds)
            return sum(took.values())

        contenders[name] = one
    totals = interleave(contenders, ROUNDS, warmup=1, progress=lambda line: print(f"verbs: {line}", flush=True))

    numbers = {name: {"error": totals[name]["error"]} if "error" in totals[name] else
               {verb: summary(samples[1:]) for verb, samples in per_verb[name].items()}  # [0]: the warmup
               for name in RUNTIMES}
    results.save("verbs", {"what": "create, start, state, kill (SIGKILL), delete of the python-listen bundle, "
                                   "each verb timed by its caller", "rounds": ROUNDS, "runtimes": numbers})
    ref = numbers.get("runc", {})
    for name, verbs in numbers.items():
        if "error" in verbs:
            continue
        print("verbs: " + f"{name:13s} " + "  ".join(
            f"{v} {verbs[v]['median_ms']:.1f} ms ({verbs[v]['median_ms'] / ref[v]['median_ms']:.2f}x)"
            if v in ref else f"{v} {verbs[v]['median_ms']:.1f} ms" for v in VERBS), flush=True)
    return totals


@pytest.mark.parametrize("name", RUNTIMES)
def test_verbs(name, measured):
    require_measured(measured, name)
