"""One container under an OCI runtime's ``run`` verb, as a stack driver's service host: a bundle in
a private directory, ``RUNTIME --root R run --bundle B ID`` in the foreground, and on stop
``kill``, ``delete --force`` and the directory removed."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from .. import process

DIR_PREFIX = "runu-cf-oci-"  # every container's bundle and state live in such a temp directory


class RuntimeExited(RuntimeError):
    """The runtime's ``run`` ended before the container said it was ready."""


def echo_argv(script: Path, port: int) -> list[str]:
    """The echo server as a sandbox runs it: the base interpreter (not a venv's link, which
    may point into a directory the sandbox's /tmp hides) and the script's text, not its path."""
    return [os.path.realpath(sys.executable), "-c", script.read_text(), str(port)]


def host_root_spec(argv: list[str], netns_path: str, hostname: str) -> dict:
    """An OCI config running ``argv`` on a read-only view of the host's root, in netns_path."""
    return {
        "ociVersion": "1.0.2",
        "process": {"args": argv, "cwd": "/", "env": ["PATH=/usr/bin:/bin"],
                    "user": {"uid": 0, "gid": 0}},
        "root": {"path": "/", "readonly": True},
        "hostname": hostname,
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
                   {"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"}],
        "linux": {"namespaces": [{"type": "pid"}, {"type": "ipc"}, {"type": "uts"},
                                 {"type": "mount"}, {"type": "network", "path": netns_path}]},
    }


class OciRun:
    """A container of runtime ``runtime`` (argv prefix, before ``--root``) with ``global_flags``."""

    def __init__(self, runtime: list[str], global_flags: tuple[str, ...] = ()):
        self.runtime, self.global_flags = runtime, global_flags
        self.id = f"runu-cf-{uuid.uuid4().hex[:8]}"
        self.dir = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
        self.bundle = self.dir / "bundle"
        self.bundle.mkdir()
        self._proc: subprocess.Popen | None = None

    def _cmd(self, *args: str) -> list[str]:
        return [*self.runtime, "--root", str(self.dir / "state"), *self.global_flags, *args]

    def run(self, spec: dict, ready: str, timeout: float, masked: tuple[str, ...] = ()) -> None:
        """Write ``spec`` as the bundle's config.json, start the container and wait until it
        prints ``ready``. If the runtime exits first, raise RuntimeExited with its last words."""
        (self.bundle / "config.json").write_text(json.dumps(spec))
        self._proc = process.spawn(self._cmd("run", "--bundle", str(self.bundle), self.id),
                                   masked=masked, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        try:
            process.wait_for_line(self._proc, ready, timeout)
        except RuntimeError as err:
            if self._proc.poll() is not None:
                raise RuntimeExited(f"{Path(self.runtime[-1]).name} run failed: "
                                       f"{str(err).strip().splitlines()[-1]}") from err
            raise

    def remove(self) -> None:
        """Kill the container, reap our ``run`` process, delete the container and the bundle."""
        if self._proc:
            subprocess.run(self._cmd("kill", self.id, "KILL"), capture_output=True, timeout=30)
            process.stop(self._proc, grace=10)
            subprocess.run(self._cmd("delete", "--force", self.id), capture_output=True, timeout=30)
            self._proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
