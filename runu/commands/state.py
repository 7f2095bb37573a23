import json

from runu.commands import runtime


def run(args, log):
    print(json.dumps(runtime(args, log).state(args.id).oci(), indent=2))
