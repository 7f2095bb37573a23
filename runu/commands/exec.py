"""`runu exec`: another process in a running container, started by its guest's agent.

As under runc: `--process FILE` (Docker's way) or the command line with --cwd, --env, --user,
--additional-gids, --cap, --no-new-privs and --tty over the container's own process; with
--detach the process's host stand-in (runu.execrelay) goes on alone and its pid goes in
--pid-file, else runu itself relays and exits with the process's status.
"""

import json
import os
import tty
from pathlib import Path

from runu import abi
from runu.commands import runtime
from runu.errors import RunuError


def _process_file(path: str) -> dict:
    try:
        proc = json.loads(Path(path).read_text())
    except OSError as e:
        raise RunuError(f"--process {path}: {e.strerror}") from None
    except json.JSONDecodeError as e:
        raise RunuError(f"--process {path}: not JSON: {e}") from None
    if not isinstance(proc, dict) or not proc.get("args") or not isinstance(proc["args"], list):
        raise RunuError(f"--process {path}: a process needs args (a non-empty list)")
    return proc


def _user(text: str) -> dict:
    uid, _, gid = text.partition(":")
    if not uid.isdigit() or (gid and not gid.isdigit()):
        raise RunuError(f"--user {text!r}: runu takes numeric UID[:GID]")
    return {"uid": int(uid), "gid": int(gid or 0)}


def _from_command_line(args, container_process: dict) -> dict:
    """runc's way: the container's process, with what the flags change."""
    if not args.exec_args:
        raise RunuError("exec: no command (give its args, or --process FILE)")
    proc = {**container_process, "args": args.exec_args, "terminal": args.tty}
    if args.cwd:
        proc["cwd"] = args.cwd
    if args.env:
        proc["env"] = [*proc.get("env", []), *args.env]
    if args.user:
        proc["user"] = _user(args.user)
    if args.additional_gids:
        proc["user"] = {**proc.get("user", {}), "additionalGids": args.additional_gids}
    if args.cap:
        caps = dict(proc.get("capabilities", {}))
        for kind in ("bounding", "effective", "permitted", "ambient"):
            caps[kind] = sorted({*caps.get(kind, []), *args.cap})
        proc["capabilities"] = caps
    if args.no_new_privs:
        proc["noNewPrivileges"] = True
    return proc


def _start(session, proc: dict, prefix: bytes) -> None:
    """Ask the agent to start `proc`; a failure to start is this command's error."""
    from runu.guest import describe_process

    try:
        session.start(abi.AGENT_EXEC, prefix + describe_process(proc, "pipes").encode())
    except RunuError as e:
        raise RunuError(f"exec failed: {e}") from None


def _write_pid_file(path: str | None, pid: int) -> None:
    if path:
        from runu.container import write_atomic

        write_atomic(Path(path), str(pid))


def run(args, log):
    from runu.execrelay import relay, relay_alone

    spec, session, prefix = runtime(args, log).agent_session(args.id, "exec in")
    with session:
        proc = _process_file(args.process) if args.process else _from_command_line(args, spec["process"])
        terminal = bool(proc.get("terminal"))
        if terminal and args.detach and not args.console_socket:
            raise RunuError("exec --tty --detach needs --console-socket")
        if terminal and not args.console_socket and not os.isatty(0):
            raise RunuError("exec --tty needs a terminal on stdin, or --console-socket")
        _start(session, proc, prefix)
        console = None
        if terminal and args.console_socket:
            from runu.console import open_console

            console = open_console(args.console_socket)
        if args.detach:
            pid = os.fork()
            if pid:
                _write_pid_file(args.pid_file, pid)
                return 0
            status = 126
            try:
                status = relay_alone(session, console)
            finally:
                os._exit(status)  # never back into the command line: the caller has its answer
        _write_pid_file(args.pid_file, os.getpid())
        if console is not None:
            return relay_alone(session, console)
        if terminal:
            saved = tty.tcgetattr(0)
            tty.setraw(0)
            try:
                return relay(session, 0, 1, 1, terminal=0)
            finally:
                tty.tcsetattr(0, tty.TCSAFLUSH, saved)
        return relay(session, 0, 1, 2, terminal=None)
