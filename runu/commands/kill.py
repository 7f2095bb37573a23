from runu.commands import runtime
from runu.signals import parse_signal


def run(args, log):
    runtime(args, log).kill(args.id, parse_signal(args.signal), args.all)
