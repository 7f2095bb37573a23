"""`runu resume`: thaw a paused sandbox."""

from runu.commands import runtime


def run(args, log):
    runtime(args, log).resume(args.id)
