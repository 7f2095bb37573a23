"""The vm kind: the container's kernel runs in QEMU (TCG here, KVM where it works). What it
shares with UML's contract (exit status, signals, streams, stdin) is tested for both kinds in
test_run.py."""

import pytest

from runu.paths import kernel_dir
from runu.spec import ANNOTATION_SANDBOX

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
