"""Host syscalls through the sandbox kernel's stub page (issue 13, item 4).

In seccomp mode a guest process is a host process whose top pages hold UML's stub, and the
stub's seccomp filter allows a few host syscalls from its code page. Guest code can jump to a
`syscall; ret` there. tests/escape/stub_escape.c does, as an unprivileged guest user, with
calls the stub itself never makes: a 2 GiB MAP_SHARED|MAP_ANONYMOUS|MAP_POPULATE mapping (host
memory the guest's limit does not cover), closing the stub's socket to the kernel, taking what
the kernel sends the stub, a futex and an arch_prctl the stub does not use. With runu's kernel
patch (kernelbuild/patches/) each such call ends the guest process that made it; the sandbox's
host memory stays near the guest's size and the container runs to its end.
"""

import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import TESTS

SOURCE = TESTS / "escape" / "stub_escape.c"
GUEST_MEMORY = 64 << 20
GUEST_USER = 1000
PROBES = ("anon-page", "anon-2g-populate", "close-fd0", "recvmsg-fd0", "futex-elsewhere", "arch_prctl-get-fs")
# The sandbox's own footprint on top of the guest memory it touches (kernel image, libraries,
# page tables); runu's cgroup allows 40 MiB (runu.sandbox.uml.UmlSandbox.memory_overhead).
HOST_SLACK = 40 << 20


@pytest.fixture(scope="session")
def escape_program(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("escape") / "stub_escape"
    subprocess.run(["gcc", "-static", "-O2", "-Wall", "-o", str(out), str(SOURCE)], check=True)
    return out


def sandbox_pss(under: Path) -> int:
    """Proportional set size (bytes) of every host process whose root lies under `under`: the
    sandbox launcher, the kernel and its stub processes. Shared pages count once in the sum."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if not str((proc / "root").readlink()).startswith(str(under)):
                continue
            for line in (proc / "smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        except OSError:
            continue  # gone meanwhile, or a kernel thread
    return total


class PeakSampler(threading.Thread):
    """Samples sandbox_pss until stopped; keeps the peak."""

    def __init__(self, under: Path):
        super().__init__(daemon=True)
        self.under, self.peak, self.samples = under, 0, 0
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            self.peak = max(self.peak, sandbox_pss(self.under))
            self.samples += 1
            time.sleep(0.01)

    def stop(self) -> int:
        self.stopped.set()
        self.join()
        return self.peak


def outcomes(stdout: bytes) -> dict[str, str]:
    """'<probe>: <what became of it>' lines of the guest program."""
    lines = (line.split(": ", 1) for line in stdout.decode().splitlines() if ": " in line)
    return {name: what for name, what in lines}


def test_stub_syscalls_the_kernel_would_not_make_end_the_guest_process(runu, make_bundle, escape_program,
                                                                         tmp_path):
    def edit(spec):
        spec["process"]["user"] = {"uid": GUEST_USER, "gid": GUEST_USER}
        spec.setdefault("linux", {})["resources"] = {"memory": {"limit": GUEST_MEMORY}}

    bundle = make_bundle(["/stub_escape"], edit=edit)
    (bundle / "rootfs" / "stub_escape").write_bytes(escape_program.read_bytes())
    (bundle / "rootfs" / "stub_escape").chmod(0o755)

    sampler = PeakSampler(tmp_path)
    sampler.start()
    try:
        result = runu("run", "--bundle", str(bundle), "stub-escape", check=False, timeout=120)
    finally:
        peak = sampler.stop()
    print(result.stdout.decode(), f"peak host PSS {peak >> 20} MiB over {sampler.samples} samples", sep="")

    # The container ran to its end, its process as the unprivileged user, which found the stub.
    assert result.returncode == 0, result.stderr
    assert f"uid {GUEST_USER}: stub page".encode() in result.stdout
    seen = outcomes(result.stdout)
    assert seen.get("normal-mmap") == "ok"
    # Every call the stub never makes ended the guest process that made it.
    got_through = {probe: seen.get(probe) for probe in PROBES
                   if not (seen.get(probe) or "").startswith("killed")}
    assert not got_through, f"host syscalls through the stub page: {got_through}"
    # The host never held more than the guest's memory and the sandbox's own footprint.
    assert peak < GUEST_MEMORY + HOST_SLACK, f"sandbox PSS peaked at {peak >> 20} MiB"
