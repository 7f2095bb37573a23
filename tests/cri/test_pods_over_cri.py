"""Kubernetes' way in: a pod of two containers run through containerd's CRI with runu as the
runtime handler, a server and a client talking over the pod's localhost, an exec into one,
their logs, and the pod stopped and removed with nothing of it left."""

import uuid
from pathlib import Path

from tests.conftest import sandbox_processes
from tests.cri.conftest import BUSYBOX_IMAGE
from tests.integration.docker.conftest import wait_until


def container_config(pb, name: str, args: list[str]):
    return pb.ContainerConfig(metadata=pb.ContainerMetadata(name=name), image=pb.ImageSpec(image=BUSYBOX_IMAGE),
                              command=args, log_path=f"{name}.log")


def cri_log_lines(path) -> list[str]:
    """The messages of a CRI log file (each line: time, stream, tag, message)."""
    return [line.split(" ", 3)[3] for line in path.read_text().splitlines() if line.count(" ") >= 3]


def test_a_pod_of_two_containers_over_cri(cri, tmp_path):
    pb, runtime, workdir = cri
    assert runtime.Version(pb.VersionRequest()).runtime_name == "containerd"
    logs = tmp_path / "logs"
    logs.mkdir()
    config = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name="pod", uid=uuid.uuid4().hex, namespace="default"),
        hostname="runu-pod", log_directory=str(logs))
    pod = runtime.RunPodSandbox(pb.RunPodSandboxRequest(config=config, runtime_handler="runu")).pod_sandbox_id
    try:
        server = runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=pod, sandbox_config=config, config=container_config(
                pb, "server", ["sh", "-c", "echo pong | nc -l -p 7000 127.0.0.1; echo served; sleep 600"]))).container_id
        client = runtime.CreateContainer(pb.CreateContainerRequest(
            pod_sandbox_id=pod, sandbox_config=config, config=container_config(
                pb, "client", ["sh", "-c", "sleep 1; nc 127.0.0.1 7000 </dev/null; hostname"]))).container_id
        runtime.StartContainer(pb.StartContainerRequest(container_id=server))
        runtime.StartContainer(pb.StartContainerRequest(container_id=client))

        def status(cid):
            return runtime.ContainerStatus(pb.ContainerStatusRequest(container_id=cid)).status

        assert wait_until(lambda: status(client).state == pb.CONTAINER_EXITED, timeout=60)
        assert status(client).exit_code == 0
        assert cri_log_lines(logs / "client.log") == ["pong", "runu-pod"]
        assert wait_until(lambda: cri_log_lines(logs / "server.log") == ["served"], timeout=30)
        assert status(server).state == pb.CONTAINER_RUNNING

        done = runtime.ExecSync(pb.ExecSyncRequest(container_id=server, cmd=["sh", "-c", "echo in server; exit 3"],
                                                   timeout=30))
        assert (done.exit_code, done.stdout) == (3, b"in server\n")
    finally:
        runtime.StopPodSandbox(pb.StopPodSandboxRequest(pod_sandbox_id=pod))
        runtime.RemovePodSandbox(pb.RemovePodSandboxRequest(pod_sandbox_id=pod))
    state = workdir / "runu" / "k8s.io"
    assert wait_until(lambda: not sandbox_processes(under=state), timeout=30), sandbox_processes(under=state)
    left = [p.name for p in state.iterdir() if p.name != "events.jsonl"] if state.exists() else []
    assert left == [], f"runu state left: {left}"
    assert str(workdir) not in Path("/proc/self/mountinfo").read_text(), "mounts left on the host"
