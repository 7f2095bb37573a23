"""`docker run --network host --runtime=runu` is refused, and the host keeps its network.

Run under a private dockerd in a namespace that stands in for the host (see
private_dockerd): if runu ever took "the host's" eth0 again, it would take
the stand-in's, not this machine's.
"""

import uuid

import pytest

from netstack import snapshot
from tests.integration.docker.private_dockerd import private_dockerd
from tests.integration.test_host_network import stand_in_host, router  # noqa: F401 (fixtures)
from unikraft_build.images import busybox_image


@pytest.fixture
def stand_in_docker(stand_in_host):  # noqa: F811
    with private_dockerd(stand_in_host) as client:
        yield client, busybox_image(client)


def test_docker_network_host_is_refused_with_runus_reason(stand_in_docker, stand_in_host):  # noqa: F811
    from docker.errors import APIError

    client, image = stand_in_docker
    host_before, stand_in_before = snapshot.take(None), snapshot.take(stand_in_host)
    name = f"runu-host-{uuid.uuid4().hex[:8]}"
    with pytest.raises(APIError) as refused:
        client.containers.run(image, ["true"], runtime="runu", network_mode="host", name=name)
    # Docker passes runu's one line on: "OCI runtime create failed: ... host networking is not ..."
    assert "host networking is not supported" in str(refused.value)
    client.containers.get(name).remove(force=True)
    assert snapshot.differences(stand_in_before, snapshot.take(stand_in_host)) == []
    assert snapshot.differences(host_before, snapshot.take(None)) == []
    assert client.containers.list(all=True) == []


def test_the_same_daemon_runs_a_runu_container_without_host_networking(stand_in_docker):
    """The refusal is about host networking, not this daemon: --network none runs."""
    client, image = stand_in_docker
    out = client.containers.run(image, ["sh", "-c", "echo hello from $(uname -r)"], runtime="runu",
                                network_mode="none", remove=True)
    assert out.decode().startswith("hello from 7.")
