"""`invoke setup`: everything a fresh Debian machine needs, idempotent and cached."""

from invoke import task

from tasks import build
from tasks.apt import ensure_packages


@task
def setup(c):
    """Install Debian packages, build the C parts and every kernel profile."""
    ensure_packages()
    build.build(c)
