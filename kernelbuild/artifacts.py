"""Is every artifact runu needs present and built from today's sources?

The check a setup ends with: a step skipped, a build copied in from an older
checkout or a half-written file all show here, not at a user's first run.
"""

from pathlib import Path

from kernelbuild.arches import default_targets
from kernelbuild.kernel import installed_problem
from kernelbuild.library import TRIPLETS, installed_problem as library_problem
from kernelbuild.native import native_problems
from kernelbuild.source import unpacked_source
from runu.paths import kernel_subdir


def artifact_problems(artifacts: Path) -> list[str]:
    """One line per problem under `artifacts` (RUNU_HOME); empty when all is current."""
    found = native_problems(artifacts)
    source = unpacked_source()
    for profile, arch in default_targets():
        problem = installed_problem(profile, arch, artifacts / "kernels" / kernel_subdir(profile, arch.name), source)
        if problem:
            found.append(problem)
    found += filter(None, (library_problem(arch, source) for arch in TRIPLETS))
    return found
