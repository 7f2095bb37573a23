"""`invoke test`: the whole test suite."""

from invoke import task


@task
def test(c):
    """Run unit, integration and conformance tests."""
    c.run(".venv/bin/pytest -ra tests", pty=False)
