"""`invoke bench`: the benchmark suites under pytest, one progress line each (rich), their
output kept in a log; a runtime that cannot be measured fails the run, after all suites ran."""

import os
import re
import subprocess
import sys
from pathlib import Path

from invoke import task
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

ROOT = Path(__file__).resolve().parent.parent
SUITES = {"startup": "benchmarks/startup", "guest": "benchmarks/guest", "vm": "benchmarks/vm",
          "density": "benchmarks/density", "network": "benchmarks/test_network.py",
          "console": "benchmarks/console", "lkl": "benchmarks/lkl"}
ROUND = re.compile(r"round (\d+)/(\d+)")
console = Console(stderr=True)


def _run_suite(progress: Progress, name: str, env: dict, log: Path) -> int:
    bar = progress.add_task(name, total=None, status="starting")
    cmd = [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", SUITES[name]]
    with log.open("w", buffering=1) as out, subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                                stderr=subprocess.STDOUT, text=True) as proc:
        for line in proc.stdout:
            out.write(line)
            line = line.strip()
            if m := ROUND.search(line):
                progress.update(bar, completed=int(m[1]), total=int(m[2]))
            if line:
                progress.update(bar, status=line[:90])
    verdict = "[green]done" if proc.returncode == 0 else f"[red]failed (exit {proc.returncode}), see {log}"
    progress.update(bar, status=verdict, completed=1, total=1)
    return proc.returncode


@task(help={"suite": f"one of {', '.join(SUITES)} (default: all)",
            "rounds": "startup iterations per runtime", "density": "comma-separated container counts"})
def bench(c, suite=None, rounds=30, density="10,50,100"):
    """Run the benchmark suites; results land in benchmarks/results/ (see `invoke dashboard`)."""
    env = {**os.environ, "RUNU_BENCH_ROUNDS": str(rounds), "RUNU_BENCH_DENSITY": density}
    failed = []
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description:<8}"), BarColumn(),
                  TimeElapsedColumn(), TextColumn("{task.fields[status]}"), console=console) as progress:
        for name in [suite] if suite else SUITES:
            if _run_suite(progress, name, env, Path(f"/tmp/runu-bench-{name}.log")):
                failed.append(name)
    if failed:
        raise SystemExit(f"benchmark suites with failures (a runtime could not be measured): {', '.join(failed)}")
