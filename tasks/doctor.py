"""`invoke doctor`: what setup promises, checked: current artifacts, Docker with runu registered."""

from invoke import task
from rich.console import Console

from runu.paths import ARTIFACTS
from tasks.dockerd import registration_problems
from kernelbuild.artifacts import artifact_problems

console = Console(stderr=True)


def check() -> None:
    """Every problem on its own line, then exit 1; one line of assurance otherwise."""
    problems = artifact_problems(ARTIFACTS) + registration_problems()
    for problem in problems:
        console.print(f"[red]doctor:[/red] {problem}", highlight=False, soft_wrap=True)
    if problems:
        raise SystemExit(f"doctor: {len(problems)} problem(s); `invoke setup` builds and registers what is missing")
    console.print(f"doctor: artifacts in {ARTIFACTS} are current; dockerd answers with runu registered",
                  soft_wrap=True)


@task
def doctor(c):
    """Check that every artifact runu needs is there and current, and that Docker knows runu."""
    check()
