"""`docker run --rm IMG true` through dockerd under runu, runc and runsc (gVisor), each round a
fresh container run to completion and removed, as a user's `docker run --rm` does.

runc runs first so that every other runtime can record its ratio to runc in extra_info (the
run's summary prints the ratios too, see conftest.py). No thresholds: numbers only.
"""

import shutil
import uuid
from pathlib import Path

import pytest

ROUNDS = 20
# runtime -> the name dockerd knows it by; runc first: the reference
RUNTIMES = {"runc": "runc", "runu": "runu", "runsc": "runsc-masked"}
RUNSC_WRAPPER = Path(__file__).absolute().parent / "runsc-masked"
LABEL = "org.runu.benchmark"
_medians: dict[str, float] = {}


@pytest.fixture(scope="module")
def docker_image():
    """dockerd running with runu and runsc registered, and the local busybox image."""
    from tasks.dockerd import client, ensure_docker
    from unikraft_build.images import busybox_image

    if shutil.which("runsc") is None:
        pytest.fail("runsc is not installed: the comparison needs it")
    ensure_docker({RUNTIMES["runsc"]: str(RUNSC_WRAPPER)})
    c = client()
    label = {LABEL: uuid.uuid4().hex}
    yield c, busybox_image(c), label
    for leftover in c.containers.list(all=True, filters={"label": f"{LABEL}={label[LABEL]}"}):
        leftover.remove(force=True)
    c.close()


def _docker_run_rm_true(client, image, runtime, label):
    client.containers.run(image, ["true"], runtime=runtime, labels=label, remove=True)


@pytest.mark.parametrize("runtime", RUNTIMES)
def test_docker_run_rm_true(benchmark, runtime, docker_image):
    client, image, label = docker_image
    benchmark.group = "docker run --rm true"
    benchmark.extra_info["runtime"] = runtime
    benchmark.pedantic(_docker_run_rm_true, args=(client, image, RUNTIMES[runtime], label), rounds=ROUNDS,
                       warmup_rounds=2)
    _medians[runtime] = benchmark.stats.stats.median
    if "runc" in _medians:
        benchmark.extra_info["ratio_to_runc"] = round(_medians[runtime] / _medians["runc"], 3)
