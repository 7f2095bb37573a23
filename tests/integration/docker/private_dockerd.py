"""A dockerd of the test's own, in a network namespace that stands in for the host.

dockerd, its containerd, the shim and so runu all run in that namespace:
`docker run --network host` under this daemon hands runu the stand-in's
network, never this machine's. State, sockets and images live in a private
directory; the containerd namespace is private too, so the machine's own
dockerd never sees these containers.
"""

import contextlib
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from dockerhost.daemon import RUNU


def _mounts_under(path: Path) -> list[str]:
    return [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()
            if line.split()[4].startswith(f"{path}/")]


@contextlib.contextmanager
def private_dockerd(netns_path: str, timeout: float = 60):
    """Yield an SDK client of a dockerd started in `netns_path` with runu registered; stop it
    (by pid), and with it its containerd and shims, and remove its directory afterwards."""
    import docker
    from docker.errors import DockerException

    # Short: containerd's socket lies below, and a unix socket path holds at most 107 bytes.
    home = Path(tempfile.mkdtemp(prefix="runu-dockerd-", dir="/tmp"))
    config = home / "daemon.json"
    config.write_text(json.dumps({"runtimes": {"runu": {"path": str(RUNU)}}}))
    socket = home / "docker.sock"
    log = (home / "dockerd.log").open("wb")
    daemon = subprocess.Popen(
        ["nsenter", f"--net={netns_path}", "dockerd", "--config-file", str(config),
         "--data-root", str(home / "data"), "--exec-root", str(home / "exec"),
         "--pidfile", str(home / "dockerd.pid"), "-H", f"unix://{socket}",
         "--bridge=none", "--iptables=false", "--ip6tables=false", "--ip-masq=false",
         "--containerd-namespace", "runu-test", "--containerd-plugins-namespace", "runu-test-plugins"],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    client = None
    try:
        deadline = time.monotonic() + timeout
        while client is None:
            try:
                # "auto" asks the daemon for its API version at once: it fails until it is up
                client = docker.DockerClient(base_url=f"unix://{socket}", version="auto", timeout=60)
            except DockerException:
                if daemon.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"private dockerd did not come up: "
                                       f"{(home / 'dockerd.log').read_text()[-2000:]}") from None
                time.sleep(0.2)
        yield client
    finally:
        if client is not None:
            client.close()
        daemon.terminate()  # dockerd stops its containerd and their shims with it
        try:
            daemon.wait(timeout=30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait()
        log.close()
        for mount in reversed(_mounts_under(home)):  # what a daemon that died did not unmount
            subprocess.run(["umount", "--lazy", mount], check=False)
        shutil.rmtree(home, ignore_errors=True)
