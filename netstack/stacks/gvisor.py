"""gVisor's netstack: runsc runs the echo service in a sandbox whose network is the testbed's
stack namespace (``--network sandbox``: runsc takes eth0's address over into its own stack)."""
import json
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from .. import netns, process
from ..testbed import Testbed
from . import ECHO_PORT, Stack
from .linux import ECHO_SCRIPT


def _spec(argv: list[str], netns_path: str) -> dict:
    """An OCI config running ``argv`` on a read-only view of the host's root in netns_path."""
    return {
        "ociVersion": "1.0.2",
        "process": {"args": argv, "cwd": "/", "env": ["PATH=/usr/bin:/bin"],
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": "/", "readonly": True},
        "hostname": "gvisor",
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                                 {"type": "mount"}, {"type": "network", "path": netns_path}]},
    }


class GvisorStack(Stack):
    """The echo service under ``runsc run``, with gVisor's own TCP/IP stack on the testbed's eth0."""
    name = "gvisor"

    def __init__(self):
        self._dir: Path | None = None
        self._run: subprocess.Popen | None = None
        self._id = f"runu-cf-{uuid.uuid4().hex[:8]}"

    def unavailable(self) -> str | None:
        if not shutil.which("runsc"):
            return "runsc is not installed (Debian package runsc)"
        return None

    def _runsc(self, *args: str) -> list[str]:
        return ["runsc", "--root", str(self._dir / "state"), "--network", "sandbox",
                "--ignore-cgroups", *args]

    def start(self, bed: Testbed) -> None:
        self._dir = Path(tempfile.mkdtemp(prefix="runu-gvisor-"))
        bundle = self._dir / "bundle"
        bundle.mkdir()
        argv = [sys.executable, str(ECHO_SCRIPT), str(ECHO_PORT)]
        (bundle / "config.json").write_text(json.dumps(_spec(argv, netns.path(bed.stack_ns))))
        # Debian's runsc (2022) takes any namespace showing /proc/sys/net/core/rmem_default for
        # the root one, and every namespace shows it on current kernels: hide /proc/sys/net from
        # runsc (the sandbox reads nothing there)
        self._run = process.spawn(self._runsc("run", "--bundle", str(bundle), self._id),
                                  masked=("/proc/sys/net",), stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        process.wait_for_line(self._run, "ready", timeout=30)

    def stop(self) -> None:
        if self._run:
            subprocess.run(self._runsc("kill", self._id, "KILL"), capture_output=True, timeout=30)
            process.stop(self._run, grace=10)
            subprocess.run(self._runsc("delete", "--force", self._id), capture_output=True,
                           timeout=30)
            self._run = None
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None
