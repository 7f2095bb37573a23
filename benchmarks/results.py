"""Benchmark results as JSON under benchmarks/results/: one file per run and kind, with the
machine's facts and the git revision, so that the dashboard can draw history across runs."""

import json
import os
import platform
import subprocess
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
REPO = RESULTS.parent.parent


def meminfo_kib(text: str | None = None) -> dict[str, int]:
    """/proc/meminfo's fields in KiB: this host's, or `text` read from another kernel."""
    text = Path("/proc/meminfo").read_text() if text is None else text
    return {name: int(value.split()[0]) for name, value in (line.split(":", 1) for line in text.splitlines())}


def mem_available_kib() -> int:
    return meminfo_kib()["MemAvailable"]


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True).stdout.strip()


def machine() -> dict:
    """What the numbers depend on besides the code."""
    return {
        "nproc": os.cpu_count(),
        "mem_total_kib": meminfo_kib()["MemTotal"],
        "kernel": platform.release(),
        "cpu_model": _cpu_model(),
        "loadavg": os.getloadavg(),
    }


def revision() -> dict:
    return {"commit": _git("rev-parse", "HEAD"), "dirty": bool(_git("status", "--porcelain", "--untracked-files=no"))}


def save(kind: str, data: dict) -> Path:
    """Write one run's results of `kind` (startup, bundle, density, ...), say where, return the path."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    record = {"kind": kind, "time": stamp, "machine": machine(), "git": revision(), **data}
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{kind}-{stamp}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(f"{kind} results: {path}", flush=True)
    return path


def load_all() -> list[dict]:
    """Every stored run of every kind, oldest first; files that are not valid JSON are skipped."""
    runs = []
    for path in sorted(RESULTS.glob("*.json")):
        try:
            runs.append({**json.loads(path.read_text()), "file": path.name})
        except (json.JSONDecodeError, UnicodeDecodeError):
            continue
    return sorted(runs, key=lambda r: str(r.get("time", "")))
