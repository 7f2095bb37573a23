"""The guest takes over eth0 as Docker leaves it in the netns: MAC, address, routes.

A fixture builds what Docker's prestart hook would: a netns whose eth0 is a
veth end with an address and a default route; the other end sits in a peer
netns that plays the host.
"""

import json
import select
import socket
import time
import uuid
from pathlib import Path

import pytest

from netstack import link, netns
from netstack.containerns import container_netns
from tests.conftest import sandbox_processes

MAC, IP, GATEWAY, PREFIX = "02:42:0a:c8:00:02", "10.200.0.2", "10.200.0.1", 24


@pytest.fixture
def docker_like_netns():
    tag = uuid.uuid4().hex[:6]
    peer = netns.create(f"runu-peer-{tag}")
    try:
        with container_netns(f"runu-ctr-{tag}", IP, GATEWAY, PREFIX, host_if="gw0", host_ns=peer,
                             mac=MAC) as ctr:
            yield ctr, peer
    finally:
        netns.remove(peer)


def with_netns(path):
    def edit(spec):
        spec["linux"]["namespaces"] = [n for n in spec["linux"]["namespaces"] if n["type"] != "network"]
        spec["linux"]["namespaces"].append({"type": "network", "path": path})
    return edit


def test_guest_owns_docker_address_mac_and_route(runu, make_bundle, docker_like_netns):
    ctr, _ = docker_like_netns
    bundle = make_bundle(["sh", "-c", "cat /sys/class/net/eth0/address; ip -4 addr show eth0; ip route"],
                         edit=with_netns(ctr))
    out = runu("run", "--bundle", str(bundle), "c1").stdout.decode()
    assert out.splitlines()[0] == MAC
    assert f"inet {IP}/{PREFIX}" in out
    assert f"default via {GATEWAY} dev eth0" in out


def test_tcp_from_the_network_reaches_a_server_in_the_guest(runu, make_bundle, docker_like_netns):
    ctr, peer = docker_like_netns
    bundle = make_bundle(["httpd", "-f", "-p", "8080", "-h", "/etc"], edit=with_netns(ctr))
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    with netns.iproute(ctr) as ipr:
        # eth0 is only a wire now: its address went to the guest, frames go to the tap.
        assert not ipr.get_addr(index=link.index(ipr, "eth0"), family=socket.AF_INET)
        assert link.exists(ipr, "tap0")
    reply = b""
    deadline = time.monotonic() + 10
    while b"root:x:0:0" not in reply:
        assert time.monotonic() < deadline, reply
        with netns.entered(peer), socket.socket() as s:
            s.settimeout(2)
            try:
                s.connect((IP, 8080))
                s.sendall(b"GET /passwd HTTP/1.0\r\n\r\n")
                reply = b"".join(iter(lambda: s.recv(4096), b""))
            except OSError:
                time.sleep(0.05)
    runu("delete", "--force", "c1")


# runu as it runs where dockerd itself is in a container (a fresh machine's CI): /proc/sys read-only.
READ_ONLY_PROC_SYS = ["unshare", "--mount", "sh", "-c",
                      'mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys && exec "$0" "$@"']


def test_the_hand_overs_taps_get_no_ipv6_address_even_where_proc_sys_is_read_only(
        runu, make_bundle, docker_like_netns):
    """The taps are pipes to the guest. Where disable_ipv6 cannot be written, the kernel used to
    give each one a link-local address and route a moment after the guest opened it: a change to
    the container's namespace after create had returned."""
    ctr, _ = docker_like_netns
    runu.prefix = READ_ONLY_PROC_SYS
    runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "1000"], edit=with_netns(ctr))), "c1")
    time.sleep(2)  # addrconf adds a link-local address about a second after the carrier
    with netns.iproute(Path(ctr).name) as ipr:
        taps = {ipr.link_lookup(ifname=name)[0] for name in ("tap0", "tap1")}
        on_taps = [a.get_attr("IFA_ADDRESS") for a in ipr.get_addr(family=socket.AF_INET6) if a["index"] in taps]
    assert on_taps == []


def test_no_network_means_loopback_only(runu, make_bundle):
    bundle = make_bundle(["sh", "-c", "ls /sys/class/net; ping -c1 -W1 127.0.0.1 >/dev/null && echo lo-ok"],
                         edit=lambda s: s["process"]["capabilities"]["bounding"].append("CAP_NET_RAW")
                         or s["process"]["capabilities"]["effective"].append("CAP_NET_RAW")
                         or s["process"]["capabilities"]["permitted"].append("CAP_NET_RAW"))
    out = runu("run", "--bundle", str(bundle), "c1").stdout.decode().split()
    assert out == ["lo", "lo-ok"]


def http_get(ns, port, timeout=1.0) -> bytes:
    with netns.entered(ns), socket.socket() as s:
        s.settimeout(timeout)
        s.connect((IP, port))
        s.sendall(b"GET /passwd HTTP/1.0\r\n\r\n")
        return b"".join(iter(lambda: s.recv(4096), b""))


def test_firewall_drops_one_port_and_keeps_the_other(runu, make_bundle, docker_like_netns):
    """Two ports, one rule: dropping tcp 8081 inbound leaves 8080 answering."""
    ctr, peer = docker_like_netns
    rules = [{"direction": "in", "protocol": "tcp", "dst_port": "8081", "ip_range": "0.0.0.0/0",
              "action": "drop"}]

    def edit(spec):
        with_netns(ctr)(spec)
        spec["annotations"] = {"org.runu.firewall": json.dumps(rules)}

    bundle = make_bundle(["sh", "-c", "httpd -p 8081 -h /etc; exec httpd -f -p 8080 -h /etc"], edit=edit)
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    deadline = time.monotonic() + 10
    while True:
        try:
            assert b"root:x:0:0" in http_get(peer, 8080)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    with pytest.raises(socket.timeout):
        http_get(peer, 8081)
    runu("delete", "--force", "c1")


def test_invalid_firewall_rules_fail_create(runu, make_bundle):
    bundle = make_bundle(["true"], edit=lambda s: s.update(annotations={
        "org.runu.firewall": json.dumps([{"direction": "sideways", "protocol": "tcp", "action": "drop"}])}))
    result = runu("create", "--bundle", str(bundle), "c1", check=False)
    assert result.returncode == 1
    assert result.stderr.decode().strip() == "runu: firewall rule 1: direction must be one of in, out"
    assert runu("list", "-q").stdout == b""


def test_guest_announces_its_address_when_eth0_comes_up(runu, make_bundle, docker_like_netns):
    """A host that asked for the address before the guest booted learns it at once (gratuitous
    ARP), instead of on its next ARP retry a second later."""
    from scapy.layers.l2 import ARP

    from tests.conformance.probe import open_socket

    ctr, peer = docker_like_netns
    wire = open_socket(peer, "gw0")
    announced = []
    try:
        runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "30"], edit=with_netns(ctr))), "c1")
        deadline = time.monotonic() + 15
        while not announced and select.select([wire], [], [], max(0, deadline - time.monotonic()))[0]:
            frame = wire.recv()
            if frame is not None and ARP in frame and frame[ARP].psrc == frame[ARP].pdst == IP:
                announced.append(frame)
    finally:
        runu("delete", "--force", "c1")
        wire.close()
    assert announced, "the guest never announced its address on the wire"
    assert announced[0][ARP].hwsrc == MAC


def test_a_hand_over_that_fails_says_why_and_leaves_the_netns_as_it_was(
        runu, make_bundle, docker_like_netns, tmp_path):
    ctr, _ = docker_like_netns
    with netns.iproute(ctr) as ipr:  # someone else's qdisc on eth0: the redirect cannot go there
        ipr.tc("add", "ingress", link.index(ipr, "eth0"), "ffff:")
    with netns.entered(ctr), open("/proc/sys/net/ipv6/conf/default/disable_ipv6") as knob:
        ipv6_default = knob.read()
    result = runu("run", "--bundle", str(make_bundle(["true"], edit=with_netns(ctr))), "c1", check=False)
    assert (result.returncode, result.stderr.decode().strip().splitlines()) == (
        1, ["runu: runu-netplumb: add an ingress qdisc: File exists"])
    assert json.loads(runu("list", "--format", "json").stdout or "null") in (None, [])
    assert not sandbox_processes(tmp_path)
    with netns.iproute(ctr) as ipr:
        assert not link.exists(ipr, "tap0") and not link.exists(ipr, "tap1")
        eth0 = link.index(ipr, "eth0")
        assert [a.get("IFA_ADDRESS") for a in ipr.get_addr(index=eth0, family=socket.AF_INET)] == [IP]
        assert [q.get("TCA_KIND") for q in ipr.get_qdiscs(eth0)].count("ingress") == 1  # theirs, kept
    with netns.entered(ctr), open("/proc/sys/net/ipv6/conf/default/disable_ipv6") as knob:
        assert knob.read() == ipv6_default
