"""Docker networking under runu as a user sees it: the container's IP answers ping and TCP,
published TCP and UDP ports reach servers in the guest, names resolve through Docker's
embedded DNS on user-defined networks, --network none, --dns and --add-host."""

import socket
import subprocess
import uuid

import pytest

from tests.integration.docker.conftest import wait_until
from tests.integration.docker.netutil import HTTP_PORT, container_ip, free_port, http_get, httpd
from unikraft_build.images import busybox_image

pytestmark = pytest.mark.needs_guest_network

@pytest.fixture(scope="module")
def udp_image(docker_client, tmp_path_factory) -> str:
    """busybox plus a static UDP echo server (busybox-static has none)."""
    binary = tmp_path_factory.mktemp("udp") / "udp-echo"
    source = __file__.rsplit("/", 1)[0] + "/udp_echo.c"
    subprocess.run(["gcc", "-static", "-Os", "-o", str(binary), source], check=True)
    return busybox_image(docker_client, "runu/busybox-udp:latest", extra={"/bin/udp-echo": binary})


def test_host_reaches_the_container_ip_by_ping_and_tcp(docker):
    ip = container_ip(docker.start(httpd("hello by IP")))
    assert wait_until(lambda: http_get(ip, HTTP_PORT), timeout=30) == "hello by IP\n"
    assert subprocess.run(["busybox", "ping", "-c", "1", "-W", "2", ip], capture_output=True).returncode == 0


def test_published_tcp_port_reaches_httpd_in_the_guest(docker):
    port = free_port()
    docker.start(httpd("hello by published port"), ports={f"{HTTP_PORT}/tcp": ("127.0.0.1", port)})
    assert wait_until(lambda: http_get("127.0.0.1", port), timeout=30) == "hello by published port\n"


def test_published_udp_port_reaches_a_server_in_the_guest(docker, udp_image):
    port = free_port(socket.SOCK_DGRAM)
    c = docker.start(["udp-echo", "9000"], image=udp_image, ports={"9000/udp": ("127.0.0.1", port)})
    assert wait_until(lambda: b"listening" in c.logs(), timeout=30), c.logs()

    def echo() -> bytes | None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(0.5)
            s.sendto(b"datagram", ("127.0.0.1", port))
            try:
                return s.recv(100)
            except socket.timeout:
                return None

    assert wait_until(echo, timeout=15) == b"datagram"


def fetch_by_name(name: str) -> str:
    """Shell that retries `wget http://name/` for up to ~20 s, printing the page."""
    return f"for i in $(seq 100); do wget -qO- http://{name}/ && break; sleep 0.2; done"


def test_containers_on_a_user_network_reach_each_other_by_name(docker_each_kind):
    docker = docker_each_kind
    net = docker.network()
    server = f"runu-srv-{uuid.uuid4().hex[:8]}"
    docker.start(httpd("hello by name"), network=net.name, name=server)
    r = docker.run(["sh", "-c", f"grep nameserver /etc/resolv.conf; nslookup {server}; {fetch_by_name(server)}"],
                   network=net.name)
    assert "nameserver 127.0.0.11" in r.stdout.splitlines(), r.stdout
    assert "hello by name" in r.stdout.splitlines(), r.stdout + r.stderr


def test_the_container_ip_answers_as_soon_as_docker_start_returns(docker):
    """Once `docker start` returns, the container's address answers, as a runc container's
    does: a connection to a port nobody listens on is refused at once, not lost to a guest still
    booting (TCP would try again a second later). Each round gives a new container the address
    of the last, as Docker reuses addresses and derives the MAC from them: the bridge knows
    the MAC already and sends the SYN at once, with no ARP to wait for the guest."""
    from docker.types import IPAMConfig, IPAMPool

    chosen = docker.network()  # a subnet Docker finds free, given back to be named (--ip needs that)
    subnet = chosen.attrs["IPAM"]["Config"][0]["Subnet"]
    chosen.remove()
    docker.networks.remove(chosen)
    net = docker.client.networks.create(f"runu-test-{uuid.uuid4().hex[:12]}", driver="bridge", labels=docker.label,
                                        ipam=IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)]))
    docker.networks.append(net)
    ip = subnet.rsplit(".", 1)[0] + ".200"
    for _ in range(5):
        c = docker.create(["sleep", "60"], network=net.name)
        net.disconnect(c)
        net.connect(c, ipv4_address=ip)
        c.start()
        with socket.socket() as s:
            s.settimeout(0.5)
            with pytest.raises(ConnectionRefusedError):
                s.connect((ip, 9))
        c.remove(force=True)


def test_network_none_leaves_only_loopback(docker):
    r = docker.run(["sh", "-c", "ip -o link | cut -d: -f2; ping -c 1 -W 1 127.0.0.1 >/dev/null && echo lo-ok"],
                   network_mode="none")
    assert r.stdout.split() == ["lo", "lo-ok"], r.stderr


def test_dns_and_add_host_reach_the_guest(docker):
    r = docker.run(["sh", "-c", "cat /etc/resolv.conf; ping -c 1 -W 1 broker.local"],
                   dns=["192.0.2.53"], extra_hosts={"broker.local": "127.0.0.2"})
    assert "nameserver 192.0.2.53" in r.stdout.splitlines(), r.stdout
    assert "PING broker.local (127.0.0.2): 56 data bytes" in r.stdout and r.code == 0, r.stdout + r.stderr


def test_thirty_containers_reach_each_other_by_name_and_leave_nothing(docker):
    """30 at once on one network, each fetching its successor's page by name; the fixture then
    removes them all (docker rm -f) and checks no state or process is left."""
    net = docker.network()
    names = [f"runu-silo-{uuid.uuid4().hex[:6]}-{i}" for i in range(30)]
    containers = [docker.start(httpd(name, then=f"{fetch_by_name(names[(i + 1) % 30])}; wait"),
                               network=net.name, name=name, mem_limit="64m")
                  for i, name in enumerate(names)]
    for i, c in enumerate(containers):
        expected = names[(i + 1) % 30].encode()
        assert wait_until(lambda: expected in c.logs(), timeout=60), (names[i], c.logs())
    assert len(docker.client.containers.list(filters={"network": net.name})) == 30
