"""dockerd with every runtime the benchmarks compare, and containers that are always removed.

Each runtime a benchmark names maps to a dockerd runtime and the environment that selects a
kernel profile. runu is registered under its own name (runu-bench, this checkout's binary) so
that another checkout's registration of `runu` cannot swap the binary mid-run.
"""

import re
import subprocess
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.conftest import RUNU

HERE = Path(__file__).resolve().parent
LABEL = "org.runu.benchmark"
RUNU_NAME = "runu-bench"


@dataclass(frozen=True)
class Runtime:
    name: str  # as results and charts show it
    docker: str  # as dockerd knows it
    env: dict = field(default_factory=dict)


def runsc_platforms() -> list[str]:
    """The platforms this runsc offers, from its own flag help (e.g. ptrace, kvm; systrap came
    after Debian's 2022 build)."""
    out = subprocess.run(["runsc", "flags"], capture_output=True, text=True).stderr  # runsc prints help there
    line = re.search(r"specifies which platform to use: ([^.]*)", out)
    return [p.split()[0] for p in line.group(1).split(",")] if line else []


def runtimes() -> list[Runtime]:
    """runc first (the reference), crun, runsc on each platform, runu on each kernel profile of
    its UML kind, then runu's lkl kind (Linux as a library in the program)."""
    found = [Runtime("runc", "runc"), Runtime("crun", "crun")]
    found += [Runtime(f"runsc-{p}", f"runsc-masked-{p}") for p in runsc_platforms()]
    found += [Runtime(f"runu-{p}", RUNU_NAME, {"RUNU_KERNEL_PROFILE": p}) for p in ("default", "tiny")]
    return [*found, Runtime("runu-lkl", RUNU_NAME, {"RUNU_SANDBOX": "lkl"})]


def _registrations() -> dict[str, str]:
    paths = {RUNU_NAME: RUNU, "crun": "/usr/bin/crun"}
    paths.update({f"runsc-masked-{p}": str(HERE / f"runsc-masked-{p}") for p in runsc_platforms()})
    return paths


def _link_wrappers() -> None:
    for p in runsc_platforms():
        link = HERE / f"runsc-masked-{p}"
        if not link.exists():
            raise SystemExit(f"runsc offers platform {p} but {link} (a link to runsc-masked) is missing")


@contextmanager
def docker_session(extra_runtimes: dict[str, str] | None = None):
    """(client, labels): dockerd up with the runtimes registered (and `extra_runtimes`, name ->
    path); on exit, every container carrying this session's label is removed, whatever happened."""
    from dockerhost.daemon import client, ensure_docker

    _link_wrappers()
    ensure_docker({**_registrations(), **(extra_runtimes or {})})
    c = client(timeout=120)
    labels = {LABEL: uuid.uuid4().hex}
    try:
        yield c, labels
    finally:
        remove_labelled(c, labels)
        c.close()


def remove_labelled(c, labels: dict) -> None:
    selector = [f"{k}={v}" for k, v in labels.items()]
    for leftover in c.containers.list(all=True, filters={"label": selector}):
        leftover.remove(force=True)
