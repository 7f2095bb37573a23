from pathlib import Path

from runu.commands import runtime


def run(args, log):
    runtime(args, log).create(args.id, Path(args.bundle), args.pid_file, args.console_socket)
