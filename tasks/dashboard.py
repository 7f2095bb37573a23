"""`invoke dashboard`: benchmarks/dashboard/index.html from every result under benchmarks/results/."""

from invoke import task
from rich.console import Console

console = Console(stderr=True)


@task(help={"screenshot": "also take benchmarks/dashboard/screenshot.png with headless chromium"})
def dashboard(c, screenshot=False):
    """Render the benchmark dashboard (HTML + matplotlib PNGs) from the stored results."""
    from benchmarks.render.page import render

    page = render()
    console.print(f"dashboard: {page}")
    if screenshot:
        from benchmarks.render.screenshot import screenshot as take
        from tasks.apt import ensure_packages

        ensure_packages(["chromium"])  # only the screenshot needs it: not among setup's packages
        console.print(f"screenshot: {take(page, page.parent / 'screenshot.png')}")
