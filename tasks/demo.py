"""`invoke demo`: the main job, run under runu."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from invoke import task
from rich.console import Console

from unikraft_build.rootfs import busybox_rootfs

console = Console()
RUNU = str(Path(sys.executable).parent / "runu")


@task
def demo(c):
    """Run a busybox container inside its own kernel and show what it sees."""
    with tempfile.TemporaryDirectory() as tmp:
        bundle = Path(tmp)
        busybox_rootfs(bundle / "rootfs")
        subprocess.run([RUNU, "spec", "--bundle", str(bundle)], check=True)
        spec = json.loads((bundle / "config.json").read_text())
        spec["process"]["terminal"] = False
        spec["process"]["args"] = ["sh", "-c", "echo \"kernel $(uname -r) on $(hostname)\"; "
                                   "grep MemTotal /proc/meminfo; ls /"]
        (bundle / "config.json").write_text(json.dumps(spec))
        console.rule("runu run: a busybox container in its own kernel")
        result = subprocess.run([RUNU, "--root", str(bundle / "state"), "run", "--bundle", str(bundle), "demo"])
        console.rule(f"exit status {result.returncode}")
        if result.returncode:
            raise SystemExit(result.returncode)
