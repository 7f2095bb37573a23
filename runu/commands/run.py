"""`runu run`: create, start, and (unless --detach) wait, forward signals, delete."""

import signal
from pathlib import Path

from runu.commands import runtime
from runu.container import wait_exit
from runu.errors import RunuError

_FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)


def run(args, log):
    rt = runtime(args, log)
    state = rt.create(args.id, Path(args.bundle), args.pid_file, args.console_socket)
    try:
        rt.start(args.id)
    except BaseException:
        rt.delete(args.id, force=True)
        raise
    if args.detach:
        return 0

    def forward(signum, _frame):
        try:
            rt.kill(args.id, signum)
        except RunuError:
            pass  # already stopped

    for signum in _FORWARDED:
        signal.signal(signum, forward)
    code = wait_exit(state.pid)
    rt.delete(args.id, force=True)
    return code
