"""`runu pause`: freeze every process of the sandbox (its cgroup's freezer)."""

from runu.commands import runtime


def run(args, log):
    runtime(args, log).pause(args.id)
