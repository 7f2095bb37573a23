"""Startup to ready under Docker: `docker run` of python-listen until it greets on its published
port, under every runtime (and native, the program on the host), interleaved, ROUNDS each.

A runtime that cannot run here fails its test with the reason, which the results keep too.
"""

import functools
import os

import pytest

from benchmarks import dockerenv, results
from benchmarks.startup import launchers
from benchmarks.startup.sampler import interleave, require_measured

pytestmark = pytest.mark.timeout(3600)  # a whole run, not one request
ROUNDS = int(os.environ.get("RUNU_BENCH_ROUNDS", "30"))
NAMES = ["native"] + [r.name for r in dockerenv.runtimes()]


@pytest.fixture(scope="module")
def measured():
    with dockerenv.docker_session() as (client, labels):
        contenders = {"native": launchers.native}
        for runtime in dockerenv.runtimes():
            contenders[runtime.name] = functools.partial(launchers.docker, client, labels, runtime)
        numbers = interleave(contenders, ROUNDS, progress=lambda line: print(f"startup: {line}", flush=True))
    results.save("startup", {
        "what": "docker run -d -p 127.0.0.1:PORT:8080 runu/python-listen until it greets on PORT "
                "(native: /usr/bin/python3 listen.py on the host)",
        "rounds": ROUNDS,
        "runsc_platforms": dockerenv.runsc_platforms(),
        "runtimes": numbers,
    })
    return numbers


@pytest.mark.parametrize("name", NAMES)
def test_startup_to_ready(name, measured):
    require_measured(measured, name)
