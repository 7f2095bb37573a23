"""`runu run`: create, start, and (unless --detach) wait, forward signals, delete."""

import os
import signal
from pathlib import Path

from runu.commands import runtime
from runu.container import exit_code
from runu.errors import RunuError

_FORWARDED = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2}


PR_SET_CHILD_SUBREAPER = 36


def _adopt_orphans() -> None:
    """The container's process is the sandbox's init, whose parent (the launcher) exits at
    create: as a subreaper, runu run adopts it and can wait for it."""
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise RunuError(f"become a subreaper: {os.strerror(ctypes.get_errno())}")


def run(args, log):
    rt = runtime(args, log)
    _adopt_orphans()
    state = rt.create(args.id, Path(args.bundle), args.pid_file, args.console_socket)
    try:
        rt.start(args.id)
    except BaseException:
        rt.delete(args.id, force=True)
        raise
    if args.detach:
        return 0
    # Signals wait in the kernel until the loop below takes them: no handler
    # runs in the middle of a locked state update.
    signal.pthread_sigmask(signal.SIG_BLOCK, _FORWARDED | {signal.SIGCHLD})
    code = _wait_forwarding(rt, args.id, state.pid)
    rt.delete(args.id, force=True)
    return code


def _wait_forwarding(rt, container_id: str, pid: int) -> int:
    while True:
        pid_done, status = os.waitpid(pid, os.WNOHANG)
        if pid_done == pid:
            return exit_code(status)
        info = signal.sigwaitinfo(_FORWARDED | {signal.SIGCHLD})
        if info.si_signo != signal.SIGCHLD:
            try:
                rt.kill(container_id, info.si_signo)
            except RunuError:
                pass  # stopped meanwhile: the next waitpid sees it
