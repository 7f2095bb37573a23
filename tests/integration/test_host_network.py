"""runu never takes the network of a namespace that is not the container's own.

Each case runs runu inside a throwaway namespace that stands in for the host
(eth0 with addresses and routes, as a machine's uplink), so that a regression
cuts off that namespace and never this machine. Each compares a snapshot of
the namespace's links, addresses, routes, qdiscs and IPv6 switches before
and after.
"""

import subprocess
import uuid

import pytest

from netstack import netns, snapshot
from netstack.containerns import container_netns
from tests.conftest import Runu
from tests.integration.test_network import GATEWAY, IP, MAC, PREFIX, with_netns

EXTRA_ROUTE = "10.99.0.0/16"  # one a CNI plugin might add: it must come back too


def _uplink(ns: str, ip: str, gateway: str, prefix: int, router: str, mac: str | None = None):
    """container_netns, plus what a real uplink has: an extra route and an IPv6 address."""
    return container_netns(ns, ip, gateway, prefix, host_if=f"up{uuid.uuid4().hex[:6]}", host_ns=router,
                           mac=mac)


def _decorate(ns: str, gateway: str) -> None:
    with netns.iproute(ns) as ipr:
        eth0 = ipr.link_lookup(ifname="eth0")[0]
        ipr.route("add", dst=EXTRA_ROUTE, gateway=gateway, oif=eth0)
        ipr.addr("add", index=eth0, address="fd00:99::2", prefixlen=64)


@pytest.fixture
def router():
    name = netns.create(f"runu-router-{uuid.uuid4().hex[:6]}")
    yield name
    netns.remove(name)


@pytest.fixture
def stand_in_host(router):
    """A namespace playing the host: eth0 up with 10.77.0.2/24, default and extra routes."""
    with _uplink(f"runu-host-{uuid.uuid4().hex[:6]}", "10.77.0.2", "10.77.0.1", 24, router) as path:
        _decorate(path, "10.77.0.1")
        yield path


@pytest.fixture
def host_runu(tmp_path, stand_in_host):
    """runu run from inside the stand-in host, as dockerd's runtime would be."""
    r = Runu(tmp_path / "state", netns=stand_in_host)
    yield r
    root = tmp_path / "state"
    for cid in (p.name for p in root.iterdir() if p.is_dir()) if root.exists() else ():
        r("delete", "--force", cid, check=False)


def _refused(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def without_network_namespace(spec):
    spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]


def test_a_bundle_without_a_network_namespace_is_refused_and_the_host_keeps_its_network(
        host_runu, make_bundle, stand_in_host):
    before = snapshot.take(stand_in_host)
    result = host_runu("run", "--bundle", str(make_bundle(["true"], edit=without_network_namespace)), "c1",
                       check=False)
    assert _refused(result).startswith("runu: host networking is not supported: ")
    assert snapshot.differences(before, snapshot.take(stand_in_host)) == []
    assert host_runu("list", "-q").stdout == b""


def test_joining_runus_own_namespace_by_path_is_refused_as_host_networking(
        host_runu, make_bundle, stand_in_host):
    before = snapshot.take(stand_in_host)
    bundle = make_bundle(["true"], edit=with_netns(stand_in_host))
    line = _refused(host_runu("run", "--bundle", str(bundle), "c1", check=False))
    assert line.startswith("runu: host networking is not supported: ")
    assert line.endswith(f"{stand_in_host} is the host's network namespace")
    assert snapshot.differences(before, snapshot.take(stand_in_host)) == []


def test_a_path_that_is_not_a_network_namespace_is_refused(runu, make_bundle, tmp_path):
    (tmp_path / "plain").write_text("")
    for path, message in ((tmp_path / "plain", f"{tmp_path / 'plain'} is not a network namespace"),
                          ("/proc/self/ns/uts", "/proc/self/ns/uts is not a network namespace"),
                          (tmp_path / "none", f"network namespace {tmp_path / 'none'} does not exist")):
        result = runu("run", "--bundle", str(make_bundle(["true"], edit=with_netns(str(path)))), "c1",
                      check=False)
        assert _refused(result) == f"runu: {message}"


@pytest.fixture
def pinned_netns(router):
    """A namespace given by path that outlives the container (as CNI and pods make them)."""
    with _uplink(f"runu-ctr-{uuid.uuid4().hex[:6]}", IP, GATEWAY, PREFIX, router, mac=MAC) as path:
        _decorate(path, GATEWAY)
        yield path


def test_joining_the_namespace_of_another_runu_container_is_refused(runu, make_bundle, pinned_netns):
    """docker run --network container:OTHER, where OTHER is a runu container: its eth0 is OTHER's
    guest's, and one kernel's network cannot be shared with another kernel."""
    runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "1000"], edit=with_netns(pinned_netns))),
         "first")
    first_pid = runu.state("first")["pid"]
    during = snapshot.take(pinned_netns)
    other = f"/proc/{first_pid}/ns/net"
    result = runu("run", "--bundle", str(make_bundle(["true"], edit=with_netns(other))), "second", check=False)
    assert _refused(result) == (
        f"runu: network namespace {other} is in use by runu container first (its sandbox, pid {first_pid}): "
        "runu gives a namespace's interfaces to the guest and would take them away; "
        "give the container a network of its own")
    assert snapshot.differences(during, snapshot.take(pinned_netns)) == []
    assert runu("state", "first", check=False).returncode == 0
    runu("delete", "--force", "first")


def test_a_namespace_where_another_process_lives_is_refused(runu, make_bundle, pinned_netns):
    sleeper = subprocess.Popen(["nsenter", f"--net={pinned_netns}", "sleep", "1000"])
    try:
        path = f"/proc/{sleeper.pid}/ns/net"
        result = runu("run", "--bundle", str(make_bundle(["true"], edit=with_netns(path))), "c1", check=False)
        assert _refused(result).startswith(f"runu: network namespace {path} is in use by process {sleeper.pid} "
                                           "(sleep): ")
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_namespace_given_by_path_gets_its_network_back_at_delete(runu, make_bundle, pinned_netns):
    before = snapshot.take(pinned_netns)
    bundle = make_bundle(["sleep", "1000"], edit=with_netns(pinned_netns))
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    during = snapshot.take(pinned_netns)
    assert not [a for a in during["addresses"] if a[0] == "eth0" and a[2] == IP], "eth0 was not handed over"
    assert {"tap0", "tap1"} <= {link[0] for link in during["links"]}
    runu("delete", "--force", "c1")
    assert snapshot.differences(before, snapshot.take(pinned_netns)) == []


def test_run_to_completion_gives_the_network_back_too(runu, make_bundle, pinned_netns):
    before = snapshot.take(pinned_netns)
    bundle = make_bundle(["sh", "-c", "ip -4 addr show eth0"], edit=with_netns(pinned_netns))
    assert f"inet {IP}/{PREFIX}".encode() in runu("run", "--bundle", str(bundle), "c1").stdout
    assert snapshot.differences(before, snapshot.take(pinned_netns)) == []
