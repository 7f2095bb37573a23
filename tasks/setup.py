"""`invoke setup`: everything a fresh Debian machine needs, idempotent and cached."""

from invoke import task

from tasks import build
from tasks.apt import ensure_packages
from tasks.dockerd import ensure_docker


@task
def setup(c):
    """Install Debian packages, build the C parts and every kernel profile, register runu with Docker."""
    ensure_packages()
    build.build(c)
    ensure_docker()
