"""`invoke profile`: where runu's startup goes, measured rather than guessed.

Two views of the startup benchmark's workload (python-listen, `docker run -d -p` until it
greets): the phase split from runu's events log, and py-spy's wall-clock profile of `runu
create`, the runtime's heaviest verb. Results land in benchmarks/results/profile-<time>.json.

Named startupprofile, not profile: invoke puts tasks/ on sys.path, where profile.py would
shadow the standard library's (cProfile imports it; pytest-benchmark imports cProfile).
"""

import statistics
import time
from pathlib import Path

from invoke import task
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "benchmarks/profile/runu-pyspy"
OUT = Path("/var/tmp/runu-profile")  # where the wrapper has py-spy write
RUNTIME = "runu-pyspy"
RATE_HZ = 1000  # as in the wrapper
console = Console(stderr=True)


def _one_run(client, labels: dict, profile: str) -> dict:
    from benchmarks.probe import wait_ready
    from benchmarks.profile import phases
    from benchmarks.startup.launchers import IMAGE, PORT, READY_TIMEOUT

    started_at = time.time()
    container = client.containers.run(IMAGE, detach=True, runtime=RUNTIME, labels=labels,
                                      environment={"RUNU_KERNEL_PROFILE": profile},
                                      ports={"8080/tcp": ("127.0.0.1", PORT)})
    try:
        wait_ready("127.0.0.1", PORT, READY_TIMEOUT)
        greeted_at = time.time()
        return phases.split(started_at, phases.event_times(container.id), greeted_at)
    finally:
        container.remove(force=True)


def _report(splits: list[dict], create_ms: float, frames: list[tuple[str, float]]) -> None:
    table = Table(title="docker run to greeting under runu (median ms; create under py-spy)")
    table.add_column("phase")
    table.add_column("ms", justify="right")
    for name in splits[0]:
        table.add_row(name, f"{statistics.median(s[name] for s in splits):.0f}")
    console.print(table)
    table = Table(title=f"runu create, main thread: {create_ms:.0f} ms wall per run")
    table.add_column("frame (inclusive)")
    table.add_column("ms", justify="right")
    for frame, ms in frames:
        table.add_row(frame, f"{ms:.1f}")
    console.print(table)


@task(help={"runs": "docker runs to profile", "profile": "kernel profile (default, tiny)"})
def profile(c, runs=10, profile="default"):
    """Profile runu's startup under Docker: phases from runu's events, py-spy of `runu create`."""
    from benchmarks import dockerenv, results
    from benchmarks.profile import stacks
    from unikraft_build.targets import build_image

    build_image("python-listen")
    for old in OUT.glob("create-*.txt"):
        old.unlink()
    with dockerenv.docker_session({RUNTIME: str(WRAPPER)}) as (client, labels), Progress(console=console) as bar:
        job = bar.add_task("profiling docker run", total=runs)
        splits = []
        for _ in range(runs):
            splits.append(_one_run(client, labels, profile))
            bar.advance(job)
    profiles = sorted(OUT.glob("create-*.txt"))
    if len(profiles) != runs:
        raise SystemExit(f"expected {runs} py-spy profiles of create in {OUT}, found {len(profiles)} "
                         f"(see {OUT / 'py-spy.log'})")
    create_ms, per_frame = stacks.inclusive_ms(profiles, RATE_HZ)
    frames = stacks.project_frames(per_frame, top=15)
    _report(splits, create_ms, frames)
    results.save("profile", {
        "what": "docker run -d -p python-listen under runu until it greets; runu create under py-spy "
                f"(--idle, {RATE_HZ} Hz, main thread)",
        "kernel_profile": profile,
        "runs": runs,
        "phases_ms": {name: [s[name] for s in splits] for name in splits[0]},
        "create_wall_ms": round(create_ms, 1),
        "create_frames_ms": [[frame, round(ms, 1)] for frame, ms in frames],
    })
