"""`runu events ID`: the container's lifecycle events as JSON lines until it is deleted, with
its cgroup's statistics every --interval; --stats prints the statistics once (runc's JSON)."""

import json

from runu.commands import runtime
from runu.events import follow


def _stats_event(rt, container_id: str) -> str:
    return json.dumps({"type": "stats", "id": container_id, "data": rt.stats(container_id)})


def run(args, log):
    rt = runtime(args, log)
    if args.stats:
        print(_stats_event(rt, args.id), flush=True)
        return
    for event in follow(args.root, args.id, every=args.interval,
                        tick=lambda: _stats_event(rt, args.id)):
        print(event if isinstance(event, str) else json.dumps(event), flush=True)
