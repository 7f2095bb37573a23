"""Docker tasks (invoke collection `docker`): dockerd running with runu registered.

Named dockerd, not docker: invoke puts tasks/ on sys.path, where docker.py would shadow the SDK.
The work is dockerhost's; here its errors become exit codes.
"""

import contextlib

from invoke import task
from rich.console import Console

from dockerhost import DockerHostError, daemon
from tasks.apt import DOCKER_PACKAGES, ensure_packages

console = Console(stderr=True)


@contextlib.contextmanager
def _exit_on_failure():
    try:
        yield
    except DockerHostError as e:
        raise SystemExit(str(e)) from None


def ensure_docker() -> None:
    """Docker's packages installed, dockerd answering with runu registered (setup's step)."""
    ensure_packages(DOCKER_PACKAGES)
    with _exit_on_failure():
        daemon.ensure_docker()


def registration_problems() -> list[str]:
    return daemon.registration_problems()


@task
def install(c):
    """Install Docker, start dockerd if none runs, register runu as a runtime."""
    ensure_docker()


@task
def uninstall(c):
    """Remove runu from daemon.json and reload dockerd (other settings stay)."""
    with _exit_on_failure():
        daemon.unregister()
    console.print(f"runtime {daemon.RUNTIME} unregistered")


@task
def stop(c):
    """Stop dockerd, only if `docker.install` (or setup) started it."""
    with _exit_on_failure():
        stopped = daemon.stop_daemon()
    console.print("stopped the dockerd we started" if stopped else "no dockerd of ours runs")
