"""The per-container firewall from Docker: rules in RUNU_FIREWALL (Docker 20.10 hands the runtime
neither labels nor annotations) are enforced by the guest's own netfilter; bad rules stop
the container at create with a clear error."""

import json
import socket

import pytest
from docker.errors import APIError

from tests.integration.docker.conftest import wait_until
from tests.integration.docker.netutil import container_ip, http_get, httpd


def rules(**rule) -> dict:
    return {"RUNU_FIREWALL": json.dumps([{"direction": "in", "protocol": "tcp", "ip_range": "0.0.0.0/0",
                                          "action": "drop", **rule}])}


@pytest.mark.needs_guest_network
def test_firewall_drops_8081_and_8080_still_answers(docker_each_kind):
    """Two ports, one rule dropping one of them, from the host to the container's IP; the same
    in a VM guest's netfilter."""
    docker = docker_each_kind
    ip = container_ip(docker.start(httpd("open", ports=(8080, 8081)), environment=rules(dst_port="8081")))
    assert wait_until(lambda: http_get(ip, 8080), timeout=30) == "open\n"
    with pytest.raises(socket.timeout):  # dropped: no answer at all, not even a reset
        socket.create_connection((ip, 8081), timeout=1).close()


def test_invalid_rules_fail_create_and_the_container_does_not_start(docker):
    with pytest.raises(APIError) as failed:
        docker.start(["true"], environment=rules(direction="sideways"))
    assert "firewall rule 1: direction must be one of in, out" in failed.value.explanation
    container = docker.containers[-1]
    container.reload()
    assert container.status == "created"
