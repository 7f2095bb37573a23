"""Child processes started inside a network namespace, and stopped by their pid alone."""
import ctypes
import os
import selectors
import signal
import subprocess
import time

from . import netns

_CLONE_NEWNET = 0x40000000


def spawn(argv: list[str], ns: str | None = None, **popen_kwargs) -> subprocess.Popen:
    """Start ``argv`` with its network namespace set to ``ns`` (name or path) before exec."""
    if ns is None:
        return subprocess.Popen(argv, **popen_kwargs)
    fd = os.open(netns.path(ns), os.O_RDONLY)
    libc = ctypes.CDLL(None, use_errno=True)

    def enter():  # runs in the child between fork and exec
        if libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns failed")
    try:
        return subprocess.Popen(argv, preexec_fn=enter, pass_fds=(fd,), **popen_kwargs)
    finally:
        os.close(fd)


def stop(proc: subprocess.Popen, grace: float = 2.0) -> int:
    """SIGTERM ``proc`` by pid, SIGKILL it after ``grace`` seconds; returns its exit status."""
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream:
            stream.close()
    return proc.returncode


def wait_for_line(proc: subprocess.Popen, expected: str, timeout: float) -> None:
    """Block until ``proc`` prints a line containing ``expected`` on stdout (text mode).

    Raises RuntimeError with what it printed if it exits first or the time runs out.
    """
    deadline = time.monotonic() + timeout
    seen = []
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not sel.select(deadline - time.monotonic()):
                break
            line = proc.stdout.readline()
            if not line:
                break
            seen.append(line)
            if expected in line:
                return
    raise RuntimeError(f"{proc.args[0]} not ready (status {proc.poll()}): {''.join(seen)[-500:]}")
