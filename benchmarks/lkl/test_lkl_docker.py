"""The lkl sandbox kind's startup beside runc and runu's UML kind: `docker run -d -p` of
python-listen until it greets on its published port, interleaved, ROUNDS each. Under lkl the
program starts as under runc and the library kernel boots at its first socket, so its time is
runc's plus runu's create and that boot; UML boots a whole kernel and init first.
Numbers only: benchmarks/results/lkl-docker-<time>.json."""

import functools
import os

import pytest

from benchmarks import dockerenv, results
from benchmarks.startup import launchers
from benchmarks.startup.sampler import interleave, require_measured

pytestmark = pytest.mark.timeout(3600)
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "20"))
RUNTIMES = [r for r in dockerenv.runtimes() if r.name in ("runc", "runu-default", "runu-lkl")]


@pytest.fixture(scope="module")
def measured():
    with dockerenv.docker_session() as (client, labels):
        contenders = {r.name: functools.partial(launchers.docker, client, labels, r) for r in RUNTIMES}
        numbers = interleave(contenders, ROUNDS, progress=lambda line: print(f"lkl-docker: {line}", flush=True))
    results.save("lkl-docker", {
        "what": "docker run -d -p 127.0.0.1:PORT:8080 runu/python-listen until it greets on PORT",
        "rounds": ROUNDS,
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", [r.name for r in RUNTIMES])
def test_lkl_startup_under_docker(name, measured):
    require_measured(measured, name)
