"""Unikraft images: a kernel at /unikraft/bin/kernel booted by QEMU under plain `runu`, its
arguments after `--`, its address as netdev.ip, its serial port the container's stdout and its
status out through isa-debug-exit. The kernel is the tests' own (kernel.c), not Unikraft's."""

import json

import pytest

from runu.paths import kernel_dir
from unikraft_build.unikernel import inspect, oci_layout

pytestmark = pytest.mark.skipif(not (kernel_dir("default", "x86_64") / "kernel.json").exists(),
                                reason="the unikraft kind runs the x86_64 vm kind's QEMU (invoke kernel.build --arch x86_64)")

IMAGE = "runu/test-unikernel:latest"


def test_inspect_reads_the_kernels_elf(test_unikernel):
    facts = inspect(test_unikernel)
    assert (facts["arch"], facts["platform"], facts["libraries"]) == ("x86_64", "kvm (multiboot)", ["ukboot", "ukplat"])
    assert facts["footprint"]["sections"][".text"] > 0 and facts["footprint"]["sections"][".bss"] >= 8192  # its stack


def test_an_oci_layout_runs_the_kernel_with_default_arguments(test_unikernel, tmp_path):
    oci_layout(test_unikernel, tmp_path / "layout", "unikernel:test", args=("hello",))
    index = json.loads((tmp_path / "layout" / "index.json").read_text())
    manifest = json.loads((tmp_path / "layout" / "blobs" / "sha256" / index["manifests"][0]["digest"][7:]).read_bytes())
    config = json.loads((tmp_path / "layout" / "blobs" / "sha256" / manifest["config"]["digest"][7:]).read_bytes())
    assert config["config"]["Entrypoint"] == ["/unikraft/bin/kernel"] and config["config"]["Cmd"] == ["hello"]
    assert config["architecture"] == "amd64"


def unikernel_bundle(make_bundle, test_unikernel, args):
    def with_kernel(spec):
        spec["process"]["args"] = ["/unikraft/bin/kernel", *args]

    bundle = make_bundle(["true"], edit=with_kernel)
    (bundle / "rootfs" / "unikraft" / "bin").mkdir(parents=True)
    (bundle / "rootfs" / "unikraft" / "bin" / "kernel").write_bytes(test_unikernel.read_bytes())
    return bundle


@pytest.mark.parametrize("args, code", [(["hello", "world"], 0), (["exit=7"], 7), (["crash"], 1)])
def test_runu_run_boots_it_with_its_arguments_and_its_status(runu, make_bundle, test_unikernel, args, code):
    bundle = unikernel_bundle(make_bundle, test_unikernel, args)
    result = runu("run", "--bundle", str(bundle), "u1", check=False, timeout=120)
    assert result.stdout.decode().splitlines() == [f"args: {' '.join(args)}"]
    assert result.returncode == code, result.stderr
