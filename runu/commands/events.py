"""`runu events ID`: follow a container's lifecycle events as JSON lines."""

import json

from runu.events import follow


def run(args, log):
    for event in follow(args.root, args.id):
        print(json.dumps(event), flush=True)
