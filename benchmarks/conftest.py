"""Benchmarks: each group's medians as ratios against its reference runtime (runc),
printed after the run; no pass/fail thresholds anywhere."""

import sys
from pathlib import Path

import pytest

REFERENCE = "runc"
RUNU = str(Path(sys.executable).parent / "runu")


def _runtime(bench) -> str:
    return bench.extra_info.get("runtime", bench.name)


def pytest_terminal_summary(terminalreporter, config):
    session = getattr(config, "_benchmarksession", None)
    if not session or not session.benchmarks:
        return
    groups: dict[str, dict[str, float]] = {}
    for bench in session.benchmarks:
        if not bench.stats.data:  # the benchmark failed before its first round
            continue
        groups.setdefault(bench.group or "", {})[_runtime(bench)] = bench.stats.median
    terminalreporter.section("medians as ratios to runc")
    for group, medians in sorted(groups.items()):
        ref = medians.get(REFERENCE)
        for runtime, median in sorted(medians.items()):
            ratio = f"{median / ref:.2f}" if ref else "n/a"
            terminalreporter.write_line(f"{group:<28} {runtime:<8} median {median * 1000:8.1f} ms   x runc {ratio}")


@pytest.fixture(scope="session")
def busybox_bundle(tmp_path_factory) -> Path:
    """One bundle that runc, crun and runu all run: busybox `true`."""
    import json
    import subprocess

    from unikraft_build.rootfs import busybox_rootfs

    bundle = tmp_path_factory.mktemp("bundle")
    busybox_rootfs(bundle / "rootfs")
    subprocess.run([RUNU, "spec", "--bundle", str(bundle)], check=True)
    spec = json.loads((bundle / "config.json").read_text())
    spec["process"]["terminal"] = False
    spec["process"]["args"] = ["true"]
    (bundle / "config.json").write_text(json.dumps(spec))
    return bundle
