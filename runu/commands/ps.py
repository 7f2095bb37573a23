"""`runu ps`: the host processes of a sandbox (every process in its cgroup), as runc's ps:
pids as JSON (what `docker top` asks for), or ps(1)'s table of them (ps_args go to ps). With
--guest, the processes inside the guest, as its agent lists them."""

import json
import subprocess

from runu.commands import runtime
from runu.errors import RunuError


def _guest(args, log) -> None:
    rows = runtime(args, log).guest_processes(args.id)
    if args.format == "json":
        print(json.dumps([pid for pid, *_ in rows]))
        return
    print(f"{'PID':>6} {'PPID':>6} {'UID':>6}  CMD")
    for pid, ppid, uid, command in rows:
        print(f"{pid:>6} {ppid:>6} {uid:>6}  {command}")


def run(args, log):
    if args.guest:
        return _guest(args, log)
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
