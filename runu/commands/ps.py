"""`runu ps`: the host processes of a sandbox (every process in its cgroup), as runc's ps:
pids as JSON, or ps(1)'s table of them (ps_args go to ps)."""

import json
import subprocess

from runu.commands import runtime
from runu.errors import RunuError


def run(args, log):
    pids = runtime(args, log).processes(args.id)
    if args.format == "json":
        print(json.dumps(pids))
        return
    table = subprocess.run(["ps", *(args.ps_args or ["-ef"])], capture_output=True, text=True)
    if table.returncode != 0:
        raise RunuError(f"ps {' '.join(args.ps_args)}: {table.stderr.strip()}")
    lines = table.stdout.splitlines()
    if not lines:
        return
    column = lines[0].split().index("PID") if "PID" in lines[0].split() else None
    if column is None:
        raise RunuError("ps printed no PID column")
    print(lines[0])
    wanted = {str(p) for p in pids}
    for line in lines[1:]:
        fields = line.split()
        if len(fields) > column and fields[column] in wanted:
            print(line)
