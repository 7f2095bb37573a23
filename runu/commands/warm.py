from runu.warm import serve


def run(args, log):
    return serve(args.socket)
