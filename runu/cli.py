"""runu's command line, runc-compatible: it parses and dispatches, nothing more.

Each verb lives in runu/commands/<verb>.py and is imported only when called:
containerd runs this several times per container start. For the same reason the
usual shapes of a call are read straight from the tables below (runu.quickargs);
argparse (runu.argparser) is built for everything else, help and errors included.
"""

import importlib
import os
import sys

from runu import lockwarmer
from runu.errors import RunuError
from runu.quickargs import quick_parse

_ID = (("id",), {"metavar": "CONTAINER_ID"})
_UPDATE_FLAGS = ("blkio_weight", "cpu_period", "cpu_quota", "cpu_share", "cpuset_cpus", "cpuset_mems",
                 "memory", "memory_reservation", "memory_swap", "pids_limit")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _duration(text: str) -> float:
    """A Go duration ("5s", "250ms", "1m30s") in seconds, as runc's --interval takes it."""
    import argparse
    import re

    parts = re.findall(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}")
    seconds = sum(float(n) * _DURATION_UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"invalid duration {text!r}: not positive")
    return seconds
_BUNDLE = (("-b", "--bundle"), {"default": "."})
_PID_FILE = (("--pid-file",), {})
_CONSOLE = (("--console-socket",), {})
_ACCEPTED = ((("--no-pivot",), {"action": "store_true"}),
             (("--no-new-keyring",), {"action": "store_true"}),
             (("--preserve-fds",), {"type": int, "default": 0}))

# verb -> (help, arguments)
COMMANDS = {
    "create": ("create a container", (_BUNDLE, _PID_FILE, _CONSOLE, *_ACCEPTED, _ID)),
    "start": ("start a created container", (_ID,)),
    "state": ("print the state of a container", (_ID,)),
    "kill": ("send a signal to the container's process", (
        (("-a", "--all"), {"action": "store_true"}), _ID,
        (("signal",), {"nargs": "?", "default": "SIGTERM"}))),
    "delete": ("delete a container and everything it left", (
        (("-f", "--force"), {"action": "store_true"}), _ID)),
    "run": ("create and start a container", (
        _BUNDLE, _PID_FILE, _CONSOLE, (("-d", "--detach"), {"action": "store_true"}),
        *_ACCEPTED, _ID)),
    "spec": ("write a default config.json", (
        _BUNDLE, (("--rootless",), {"action": "store_true"}))),
    "list": ("list containers", (
        (("-f", "--format"), {"choices": ("table", "json"), "default": "table"}),
        (("-q", "--quiet"), {"action": "store_true"}))),
    "ps": ("list the host processes of a container (--guest: those in its guest)", (
        (("-f", "--format"), {"choices": ("table", "json"), "default": "table"}),
        (("--guest",), {"action": "store_true"}), _ID,
        (("ps_args",), {"nargs": "*"}))),
    "features": ("print what this runtime supports (runtime-spec features JSON)", ()),
    "exec": ("run another process in a running container (through its guest's agent)", (
        (("-p", "--process"), {}), (("-d", "--detach"), {"action": "store_true"}), _PID_FILE, _CONSOLE,
        (("-t", "--tty"), {"action": "store_true"}), (("--cwd",), {}), (("-e", "--env"), {"action": "append"}),
        (("-u", "--user"), {}), (("-g", "--additional-gids"), {"action": "append", "type": int}),
        (("-c", "--cap"), {"action": "append"}), (("--no-new-privs",), {"action": "store_true"}), _ID,
        (("exec_args",), {"nargs": "..."}))),  # "...": argparse.REMAINDER
    "events": ("follow a container's lifecycle events (JSON lines) until it is deleted", (
        (("--stats",), {"action": "store_true", "help": "print the cgroup's statistics once, then exit"}),
        (("--interval",), {"type": _duration, "help": "also print statistics this often (Go duration: 5s)"}),
        _ID)),
    "warm": ("serve creates from a warmed-up Python until idle (the runu command starts it)", (
        (("socket",), {"help": "where to listen (the runu command names it)"}),)),
    "pause": ("freeze every process of a container", (_ID,)),
    "resume": ("thaw a paused container", (_ID,)),
    "update": ("change a live container's resource limits", (
        (("-r", "--resources"), {"help": 'a JSON file of linux.resources ("-": stdin)'}),
        *((("--" + flag.replace("_", "-"),), {"dest": flag}) for flag in _UPDATE_FLAGS),
        _ID)),
}


class UsageError(Exception):
    """A command line argparse refuses: one line, exit 1, as runc does."""


# The options before the verb.
GLOBALS = (
    (("--root",), {"default": "/run/runu", "help": "state directory"}),
    (("--log",), {"help": "log file (containerd reads errors from it)"}),
    (("--log-format",), {"choices": ("text", "json"), "default": "text"}),
    (("--debug",), {"action": "store_true"}),
    (("--systemd-cgroup",), {"action": "store_true", "help": "linux.cgroupsPath is systemd's slice:prefix:name"}),
    (("--rootless",), {"default": "auto", "help": "accepted for runc compatibility"}),
    (("--sandbox",), {"metavar": "KIND", "help": "sandbox kind of containers whose spec names none "
                                                 "(annotation org.runu.sandbox, env RUNU_SANDBOX)"}),
)
_GLOBAL_WITH_VALUE = {flag for flags, options in GLOBALS if "action" not in options for flag in flags}
# runc verbs a sandbox kernel cannot offer: refused through the log, where containerd looks.
UNSUPPORTED = ("checkpoint", "restore")


def _verb(argv: list[str]) -> str | None:
    """The first word after the global options: only its parser gets built."""
    args = iter(argv)
    for arg in args:
        if arg in _GLOBAL_WITH_VALUE:
            next(args, None)
        elif not arg.startswith("-"):
            return arg
    return None


def _global_option(argv: list[str], name: str) -> str | None:
    for i, arg in enumerate(argv[:-1]):
        if arg == name:
            return argv[i + 1]
    return None


def _keep_traceback(argv: list[str]) -> str:
    """Save the traceback of a bug where a user can find it; say where."""
    import tempfile
    import traceback

    trace = traceback.format_exc()
    log = _global_option(argv, "--log")
    if log and _global_option(argv, "--log-format") != "json":
        try:
            with open(log, "a") as f:
                f.write(trace)
            return f"traceback in {log}"
        except OSError:
            pass
    fd, path = tempfile.mkstemp(prefix="runu-bug-", suffix=".txt")
    with open(fd, "w") as f:
        f.write(f"runu {' '.join(argv)}\n{trace}")
    return f"traceback in {path}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from runu.log import RuntimeLog

    verb = _verb(argv)
    try:
        if verb in UNSUPPORTED:
            raise RunuError(f"{verb} is not supported by runu's sandbox kernels")
        args = quick_parse(argv, GLOBALS, COMMANDS)
        if args is None:
            from runu.argparser import build_parser

            parser = build_parser(verb)
            args = parser.parse_args(argv)
            if not args.command:
                parser.print_help(sys.stderr)
                return 1
        log = RuntimeLog(args.log, args.log_format, args.debug)
        command = importlib.import_module(f"runu.commands.{args.command}")
        return command.run(args, log) or 0
    except (RunuError, UsageError, OSError) as e:
        message = str(e)
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # a bug: still one line, and in the log containerd reads
        message = f"internal error (a bug in runu): {type(e).__name__}: {e}; {_keep_traceback(argv)}"
    finally:
        lockwarmer.stop()  # create's, if create failed before its launcher joined
    RuntimeLog(_global_option(argv, "--log"), _global_option(argv, "--log-format") or "text").error(message)
    print(f"runu: {message}", file=sys.stderr)
    return 1


def flushed_status(argv: list[str] | None = None) -> int:
    """main()'s exit status, the standard streams flushed: a flush that fails makes it 120, as
    in Python's own exit."""
    try:
        status = main(argv)
    except SystemExit as e:  # argparse's help and usage errors
        status = e.code if isinstance(e.code, int) else 0 if e.code is None else 1
        if not isinstance(e.code, (int, type(None))):
            print(e.code, file=sys.stderr)
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            status = status or 120
    return status


def run() -> None:
    """The installed command: main(), then an exit that skips the interpreter's teardown.
    Freeing every module costs each call about 10 ms, and runu leaves nothing for it to do:
    no threads, no atexit work, every file it wrote closed."""
    os._exit(flushed_status())


if __name__ == "__main__":
    run()
