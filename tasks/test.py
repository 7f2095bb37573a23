"""`invoke test`: the whole test suite."""

import sys

from invoke import task


@task
def test(c):
    """Run unit, integration and conformance tests."""
    c.run(f"{sys.executable} -m pytest -ra -p no:cacheprovider tests", pty=False)
