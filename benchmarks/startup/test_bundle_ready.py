"""Startup to ready at the runtime level: `RUNTIME run` of the python-listen bundle
(`invoke images.build python-listen --target bundle`) in a fresh netns, until the workload
greets on eth0; interleaved, ROUNDS each, no Docker involved.
"""

import functools
import os
import shutil
from pathlib import Path

import pytest

from benchmarks import dockerenv, results
from benchmarks.conftest import RUNU
from benchmarks.startup import bundle
from benchmarks.startup.sampler import interleave, require_measured
from runu.spec import ANNOTATION_SANDBOX

pytestmark = pytest.mark.timeout(3600)  # a whole run, not one request
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "30"))
# name -> (binary, kernel profile of the bundle, annotations); all but runu get a private rootfs
# copy. runsc runs through the same wrapper as under Docker (benchmarks/runsc-masked), per platform.
CONTENDERS = {"runc": ("runc", "default", {}), "crun": ("crun", "default", {}),
              **{f"runsc-{p}": (str(dockerenv.HERE / f"runsc-masked-{p}"), "default", {})
                 for p in dockerenv.runsc_platforms()},
              "runu-default": (RUNU, "default", {}), "runu-tiny": (RUNU, "tiny", {}),
              "runu-lkl": (RUNU, "default", {ANNOTATION_SANDBOX: "lkl"})}


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    from unikraft_build.targets import build_image

    contenders = {}
    for name, (binary, profile, annotations) in CONTENDERS.items():
        if not shutil.which(binary):
            pytest.fail(f"{binary} is not installed: the comparison needs it")
        built = Path(build_image("python-listen", "bundle", profile).where)
        work = tmp_path_factory.mktemp(name)
        prepared = bundle.prepare(built, work / "bundle", own_rootfs=binary != RUNU, annotations=annotations)
        contenders[name] = functools.partial(bundle.run_to_ready, binary, work / "state", prepared)
    numbers = interleave(contenders, ROUNDS, progress=lambda line: print(f"bundle: {line}", flush=True))
    results.save("bundle", {
        "what": "RUNTIME run of the python-listen bundle in a fresh netns until it greets on eth0:8080 "
                "(runu verifies the bundle's rootfs digest on every start, as built)",
        "rounds": ROUNDS,
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", CONTENDERS)
def test_bundle_to_ready(name, measured):
    require_measured(measured, name)
