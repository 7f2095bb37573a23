"""`invoke dashboard`: benchmarks/dashboard/index.html from every result under benchmarks/results/."""

from invoke import task
from rich.console import Console

console = Console(stderr=True)


@task
def dashboard(c):
    """Render the benchmark dashboard (HTML + matplotlib PNGs) from the stored results."""
    from benchmarks.render.page import render

    console.print(f"dashboard: {render()}")
