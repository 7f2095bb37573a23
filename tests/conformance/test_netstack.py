"""netstack's plumbing, as the conformance test bed uses it (runu itself hands eth0 over with
ext/runu-netplumb.c): read eth0, flush it, add a tap, and glue the two with a tc redirect or a
bridge; frames must then cross in both directions."""
import fcntl
import os
import select
import struct

import pytest
from scapy.layers.l2 import Ether

from netstack import address, bridge, ifconfig, link, netns, tap, tc, testbed

from .probe import open_socket

TUNSETIFF, IFF_TAP, IFF_NO_PI = 0x400454CA, 0x0002, 0x1000


@pytest.fixture
def bed():
    made = testbed.Testbed("plumb").create()
    yield made
    made.destroy()


def open_tap(ns: str, name: str) -> int:
    with netns.entered(ns):
        fd = os.open("/dev/net/tun", os.O_RDWR)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def _receive(sock, ethertype: int, timeout: float = 2.0):
    """The first frame of ``ethertype`` on ``sock`` (IPv6 and other chatter skipped), or None."""
    while select.select([sock], [], [], timeout)[0]:
        pkt = sock.recv()
        if pkt is not None and pkt.type == ethertype:
            return pkt
    return None


def _read_tap(fd: int, ethertype: int, timeout: float = 2.0) -> bytes:
    """The first frame of ``ethertype`` read from the tap (b"" if none)."""
    while select.select([fd], [], [], timeout)[0]:
        frame = os.read(fd, 2048)
        if frame[12:14] == ethertype.to_bytes(2, "big"):
            return frame
    return b""


def test_read_config_and_flush(bed):
    with netns.iproute(bed.stack_ns) as ipr:
        config = ifconfig.read(ipr, bed.stack_if)
        assert config.mac == bed.stack_mac and config.mtu == 1500
        assert [(a.address, a.prefixlen) for a in config.ipv4()] == [(bed.stack_ip, 24)]
        assert config.gateway() is None
        ipr.route("add", dst="0.0.0.0/0", gateway=bed.tester_ip, oif=config.index)
        assert ifconfig.read(ipr, bed.stack_if).gateway() == bed.tester_ip
        address.flush(ipr, bed.stack_if)
        assert ifconfig.read(ipr, bed.stack_if).addresses == ()


@pytest.mark.parametrize("glue", ["tc", "bridge"])
def test_frames_cross_between_veth_and_tap(bed, glue):
    tap.create("tap0", bed.stack_ns)
    with netns.iproute(bed.stack_ns) as ipr:
        if glue == "tc":
            tc.redirect(ipr, bed.stack_if, "tap0")
            assert tc.redirected(ipr, bed.stack_if) and tc.redirected(ipr, "tap0")
        else:
            bridge.join(ipr, "br0", bed.stack_if, "tap0")
            assert bridge.ports(ipr, "br0") == {bed.stack_if, "tap0"}
    sock, fd = open_socket(bed.tester_ns, bed.tester_if), open_tap(bed.stack_ns, "tap0")
    try:
        with netns.iproute(bed.stack_ns) as ipr:
            assert link.wait_operational(ipr, "tap0"), "the tap never came up"
        inbound = Ether(src=bed.tester_mac, dst="02:00:00:00:00:aa", type=0x88B5) / (b"in" * 20)
        sock.send(inbound)
        assert _read_tap(fd, 0x88B5)[:60] == bytes(inbound)[:60], "nothing reached the tap"
        outbound = Ether(src="02:00:00:00:00:aa", dst=bed.tester_mac, type=0x88B5) / (b"out" * 20)
        os.write(fd, bytes(outbound))
        got = _receive(sock, 0x88B5)
        assert got and bytes(got)[:60] == bytes(outbound)[:60], "nothing came back from the tap"
    finally:
        os.close(fd)
        sock.close()
    with netns.iproute(bed.stack_ns) as ipr:
        if glue == "tc":
            tc.unredirect(ipr, bed.stack_if, "tap0")
            assert not tc.redirected(ipr, bed.stack_if)
        else:
            bridge.remove(ipr, "br0")
            assert not link.exists(ipr, "br0")


def test_a_sysctl_is_set_in_its_namespace_where_proc_sys_is_read_only(bed, tmp_path):
    """Docker mounts a container's /proc/sys read-only (the fresh-machine check runs there):
    the write still reaches the test bed's namespace, and the caller's mounts and the host's
    setting stay as they were."""
    import subprocess
    import sys

    key = f"net/ipv6/conf/{bed.stack_if}/disable_ipv6"
    hosts = open("/proc/sys/net/ipv6/conf/all/disable_ipv6").read()
    script = tmp_path / "write.py"
    script.write_text(f"from netstack import sysctl\nsysctl.write({key!r}, 1, {bed.stack_ns!r})\n"
                      f"print(sysctl.read({key!r}, {bed.stack_ns!r}))\n")
    read_only = "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys"
    result = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c",
                             f"{read_only} && ! touch /proc/sys/{key} 2>/dev/null && {sys.executable} {script}"],
                            capture_output=True, text=True, cwd=os.getcwd())
    assert (result.returncode, result.stdout) == (0, "1\n"), result.stderr
    assert open("/proc/sys/net/ipv6/conf/all/disable_ipv6").read() == hosts
