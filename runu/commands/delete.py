from runu.commands import runtime


def run(args, log):
    runtime(args, log).delete(args.id, args.force)
