"""`runu ps`: the host processes of a sandbox (the kernel process and its helpers)."""

import json

from runu.commands import runtime
from runu.errors import RunuError
from runu.process import children
from runu.state import CREATED, RUNNING


def run(args, log):
    state = runtime(args, log).state(args.id)
    if state.current_status() not in (CREATED, RUNNING):
        raise RunuError(f"container {args.id} is not running")
    pids = [state.pid, *children(state.pid)]
    if args.format == "json":
        print(json.dumps(pids))
        return
    print("PID CMD")
    for pid in pids:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace").strip()
        except FileNotFoundError:
            continue
        print(pid, cmd)
