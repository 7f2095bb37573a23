"""The vm kind: the container's kernel runs in QEMU (TCG here, KVM where it works), with the
same contract as UML's for what the caller sees: output, exit status, signals, mounts."""

import subprocess

import pytest

from runu.paths import kernel_dir
from runu.spec import ANNOTATION_SANDBOX
from tests.conftest import RUNU

pytestmark = pytest.mark.skipif(not (kernel_dir("default", "x86_64") / "kernel.json").exists(),
                                reason="no x86_64 guest kernel built (invoke kernel.build --arch x86_64)")


def in_vm(spec):
    spec.setdefault("annotations", {})[ANNOTATION_SANDBOX] = "vm"


def vm_bundle(make_bundle, args, edit=None):
    def both(spec):
        in_vm(spec)
        if edit:
            edit(spec)
    return make_bundle(args, edit=both)


def test_the_process_runs_in_a_vm_guest_of_its_own(runu, make_bundle):
    bundle = vm_bundle(make_bundle, ["sh", "-c", "uname -m; cat /proc/cmdline"])
    out = runu("run", "--bundle", str(bundle), "c1", timeout=120).stdout.decode()
    machine, cmdline = out.splitlines()[:2]
    assert machine == "x86_64"
    assert "runu.fs=9p" in cmdline and "virtio_mmio.device=" in cmdline


def test_exit_codes_are_the_process_exit_codes(runu, make_bundle):
    for code in (0, 7):
        bundle = vm_bundle(make_bundle, ["sh", "-c", f"exit {code}"])
        assert runu("run", "--bundle", str(bundle), f"c{code}", check=False, timeout=120).returncode == code


def test_death_by_sigterm_is_143(runu, make_bundle):
    bundle = vm_bundle(make_bundle, ["sh", "-c", "echo up; while :; do sleep 1; done"])
    run = subprocess.Popen([RUNU, "--root", str(runu.root), "run", "--bundle", str(bundle), "c1"],
                           stdout=subprocess.PIPE)
    try:
        assert run.stdout.readline() == b"up\n"
        runu("kill", "c1", "KILL")
        assert run.wait(timeout=60) == 128 + 9
    finally:
        run.kill()
        run.wait()


def test_stdout_and_stderr_stay_apart(runu, make_bundle):
    bundle = vm_bundle(make_bundle, ["sh", "-c", "echo out; echo err >&2; echo out2"])
    result = runu("run", "--bundle", str(bundle), "c1", timeout=120)
    assert (result.stdout, result.stderr) == (b"out\nout2\n", b"err\n")

