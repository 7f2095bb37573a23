from runu.commands import runtime


def run(args, log):
    runtime(args, log).start(args.id)
