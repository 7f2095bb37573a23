"""A containerd of the tests' own, serving Kubernetes' CRI with runu as the runtime handler
`runu`, in a network namespace made for it (CNI's bridge lives there, never on the host), its
config, socket and state in a temporary directory; and a CRI client on grpcio whose messages
are compiled from runtime_v1.proto."""

import importlib
import io
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.integration.docker.conftest import docker_client, image  # noqa: F401 (fixtures)

HERE = Path(__file__).parent
RUNU = Path(sys.executable).with_name("runu")
CNI_BIN = Path("/usr/lib/cni")
POD_SUBNET = "10.88.77.0/24"
PAUSE_IMAGE = "docker.io/runu/pause:cri-test"
BUSYBOX_IMAGE = "docker.io/runu/busybox:latest"

CONFIG = """version = 2
root = "{d}/root"
state = "{d}/state"
[grpc]
  address = "{d}/containerd.sock"
[ttrpc]
  address = "{d}/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{pause}"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runu"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runu]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runu.options]
        BinaryName = "{runu}"
        Root = "{d}/runu"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{cni_bin}"
    conf_dir = "{d}/cni"
"""


def cri_modules(out: Path):
    """runtime_v1_pb2 and its gRPC stubs, compiled from runtime_v1.proto into `out`."""
    from grpc_tools import protoc

    code = protoc.main(["protoc", f"-I{HERE}", f"--python_out={out}", f"--grpc_python_out={out}",
                        str(HERE / "runtime_v1.proto")])
    assert code == 0, "protoc failed on runtime_v1.proto"
    sys.path.insert(0, str(out))
    return importlib.import_module("runtime_v1_pb2"), importlib.import_module("runtime_v1_pb2_grpc")


def import_image(docker_client, ctr: list[str], name: str, tag: str) -> None:
    """An image from the local dockerd into the test's containerd (no registry is reachable)."""
    data = b"".join(docker_client.images.get(name).save(named=True))
    done = subprocess.run([*ctr, "-n", "k8s.io", "images", "import", "--base-name", tag.rsplit(":", 1)[0], "-"],
                          input=data, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


@pytest.fixture(scope="module")
def cri(tmp_path_factory, docker_client, image):
    """(messages module, RuntimeService stub) of a running private containerd."""
    import grpc
    from pyroute2 import NetNS, netns

    d = tmp_path_factory.mktemp("containerd")
    ns = f"runu-cri-{uuid.uuid4().hex[:8]}"
    netns.create(ns)
    proc = None
    try:
        with NetNS(ns) as net:
            net.link("set", index=net.link_lookup(ifname="lo")[0], state="up")
        (d / "cni").mkdir()
        (d / "cni" / "10-runu-cri.conflist").write_text(json.dumps({
            "cniVersion": "0.4.0", "name": "runu-cri", "plugins": [{
                "type": "bridge", "bridge": "cni-runu0", "isGateway": True, "ipMasq": False,
                "ipam": {"type": "host-local", "dataDir": str(d / "ipam"),
                         "ranges": [[{"subnet": POD_SUBNET}]], "routes": [{"dst": "0.0.0.0/0"}]}}]}))
        (d / "config.toml").write_text(CONFIG.format(d=d, pause=PAUSE_IMAGE, runu=RUNU, cni_bin=CNI_BIN))
        log = open(d / "containerd.log", "wb")
        # `ip netns exec` also gives it a mount namespace of its own: nothing it mounts shows here.
        proc = subprocess.Popen(["ip", "netns", "exec", ns, "containerd", "--config", str(d / "config.toml")],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        sock = d / "containerd.sock"
        deadline = time.monotonic() + 30
        while not sock.exists():
            assert proc.poll() is None and time.monotonic() < deadline, (d / "containerd.log").read_text()[-2000:]
            time.sleep(0.1)
        ctr = ["ctr", "--address", str(sock)]
        docker_client.images.build(fileobj=io.BytesIO(f'FROM {image}\nCMD ["sleep", "2147483647"]\n'.encode()),
                                   tag="runu/pause:cri-test", rm=True)
        import_image(docker_client, ctr, "runu/pause:cri-test", PAUSE_IMAGE)
        import_image(docker_client, ctr, image, BUSYBOX_IMAGE)
        pb, stubs = cri_modules(d)
        channel = grpc.insecure_channel(f"unix://{sock}")
        yield pb, stubs.RuntimeServiceStub(channel), d
        channel.close()
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        netns.remove(ns)
