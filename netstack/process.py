"""Child processes started inside a network namespace, and stopped by their pid alone."""
import ctypes
import os
import selectors
import signal
import subprocess
import time

from . import netns

_CLONE_NEWNET = 0x40000000
_CLONE_NEWNS = 0x00020000
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000


def spawn(argv: list[str], ns: str | None = None, masked: tuple[str, ...] = (),
          **popen_kwargs) -> subprocess.Popen:
    """Start ``argv`` with its network namespace set to ``ns`` (name or path) before exec.

    Each directory in ``masked`` is hidden under an empty tmpfs in a private mount namespace of
    the child (to steer programs that probe the filesystem, e.g. an old runsc, see gvisor.py).
    """
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(netns.path(ns), os.O_RDONLY) if ns else -1

    def check(result: int, what: str) -> None:
        if result != 0:
            raise OSError(ctypes.get_errno(), f"{what} failed")

    def enter():  # runs in the child between fork and exec
        if fd >= 0:
            check(libc.setns(fd, _CLONE_NEWNET), "setns")
        if masked:
            check(libc.unshare(_CLONE_NEWNS), "unshare")
            check(libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None), "mount --make-rprivate")
            for target in masked:
                check(libc.mount(b"tmpfs", target.encode(), b"tmpfs", 0, b"size=4k"), "mount tmpfs")
    pass_fds = (*popen_kwargs.pop("pass_fds", ()), *((fd,) if fd >= 0 else ()))
    try:
        return subprocess.Popen(argv, preexec_fn=enter, pass_fds=pass_fds, **popen_kwargs)
    finally:
        if fd >= 0:
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
