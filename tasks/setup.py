"""`invoke setup`: everything a fresh Debian machine needs, idempotent and cached."""

import compileall
from pathlib import Path

from invoke import task

from tasks import build, doctor
from tasks.apt import ensure_packages
from tasks.dockerd import ensure_docker


@task
def setup(c):
    """Install Debian packages, build the C parts and every kernel profile, register runu with
    Docker, then check all of it (`invoke doctor`)."""
    ensure_packages()
    # runu runs several times per container start: never make it compile itself
    # (PYTHONDONTWRITEBYTECODE, common in CI, would make every call do so).
    for package in ("runu", "netstack", "kernelbuild", "unikraft_build", "dockerhost", "lkl_bindings"):
        compileall.compile_dir(Path(__file__).parent.parent / package, quiet=1)
    build.build_all()
    ensure_docker()
    doctor.check()
