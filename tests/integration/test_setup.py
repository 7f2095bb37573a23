"""`invoke setup` builds every artifact from nothing, and `invoke doctor` tells a stale one.

Setup runs into an empty RUNU_HOME: nothing there may be assumed, as on a
new machine. The kernel build cache is shared, so kernels are installed from
it (strip, calibrate) rather than compiled again.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kernelbuild import profiles
from kernelbuild.artifacts import artifact_problems

ROOT = Path(__file__).resolve().parents[2]
INVOKE = str(Path(sys.executable).parent / "invoke")


def invoke(task: str, home: Path) -> subprocess.CompletedProcess:
    return subprocess.run([INVOKE, task], cwd=ROOT, env={**os.environ, "RUNU_HOME": str(home)},
                          capture_output=True, text=True, timeout=1800)


@pytest.fixture(scope="module")
def fresh_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("runu-home")
    done = invoke("setup", home)
    assert done.returncode == 0, done.stderr[-3000:]
    return home


def test_setup_builds_every_artifact_into_an_empty_home(fresh_home):
    assert artifact_problems(fresh_home) == []
    for program in ("runu-sandbox", "runu-netplumb", "runu-init"):
        assert os.access(fresh_home / "bin" / program, os.X_OK), program
    assert (fresh_home / "initramfs.cpio").stat().st_size > 0
    for profile in profiles.names():
        assert os.access(fresh_home / "kernels" / profile / "linux", os.X_OK), profile


def test_doctor_passes_on_what_setup_built(fresh_home):
    done = invoke("doctor", fresh_home)
    assert done.returncode == 0, done.stderr
    assert f"artifacts in {fresh_home} are current" in done.stderr


def test_doctor_names_a_stale_init_and_setup_mends_it(fresh_home):
    """A runu-init from an older checkout: the class of bug a fresh clone on a used machine hides."""
    init = fresh_home / "bin" / "runu-init"
    pristine = init.read_bytes()
    init.write_bytes(pristine + b"\0older build")
    done = invoke("doctor", fresh_home)
    assert done.returncode == 1
    assert f"{init} is not the binary that was built" in done.stderr
    assert f"{fresh_home / 'initramfs.cpio'} does not hold the current runu-init" in done.stderr
    assert invoke("setup", fresh_home).returncode == 0
    assert artifact_problems(fresh_home) == []
    assert init.read_bytes() == pristine  # rebuilt from the same sources: the same binary


def test_doctor_names_every_missing_artifact(tmp_path):
    done = invoke("doctor", tmp_path)
    assert done.returncode == 1
    for missing in ("bin/runu-sandbox", "bin/runu-netplumb", "bin/runu-init", "initramfs.cpio",
                    *(f"kernels/{p}/kernel.json" for p in profiles.names())):
        assert f"{tmp_path / missing} is missing" in done.stderr, missing
