"""librunu-lkl.so (ext/runu-lklpreload.c): an unmodified program, preloaded, gets its network from a
Linux kernel linked into it, on a tap of its network namespace.

The program runs in a namespace of the test's own ("app"), which holds the tap and no address: a
bridge joins the tap to a veth whose other end, 10.99.0.1/24 and fd00:99::1/64, is in a second
namespace ("peer"), where the test's clients and servers live. Whatever answers the peer is the
library kernel: the host's stack in "app" has nothing to answer with.
"""
import errno
import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from lkl_bindings.native import library_dir
from netstack import address, bridge, link, neighbour, netns, process, sysctl, tap, veth
from runu.abi import FD_CONTROL, FD_READY
from runu.paths import ARTIFACTS

PRELOAD = library_dir() / "librunu-lkl.so"
LKLINIT = ARTIFACTS / "bin" / "runu-lklinit"
PYTHON = "/usr/bin/python3"  # Debian's, dynamically linked: what LD_PRELOAD applies to
MAC = "02:00:5e:10:99:02"
APP_V4, APP_V6 = "10.99.0.2", "fd00:99::2"
PEER_V4, PEER_V6 = "10.99.0.1", "fd00:99::1"
# On the peer's loopback: reached from the program only through its default routes.
FAR_V4, FAR_V6 = "192.0.2.1", "2001:db8::1"

pytestmark = pytest.mark.skipif(not PRELOAD.exists(),
                                reason=f"no {PRELOAD}: build the library with `invoke lkl.build`")


@dataclass
class Network:
    app: str  # the program's namespace: the tap, bridged to the peer
    peer: str
    env: dict  # the program's environment: the preload and its configuration

    def spawn(self, code: str, *args: str, env: dict | None = None) -> subprocess.Popen:
        """The program: Debian's python3 running `code`, preloaded, in the app namespace."""
        return process.spawn([PYTHON, "-c", code, *args], self.app, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**self.env, **(env or {})})

    def run(self, code: str, *args: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        proc = self.spawn(code, *args, env=env)
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            process.stop(proc)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


@pytest.fixture
def network():
    app, peer = f"lklp-app-{os.getpid()}", f"lklp-peer-{os.getpid()}"
    try:
        netns.create(app)
        netns.create(peer)
        tap.create("lkl0", app)
        with netns.iproute(app) as ipr:
            link.set_up(ipr, "lo")
            veth.create(ipr, "vapp", "vpeer", peer_ns=peer)
            bridge.join(ipr, "br0", "lkl0", "vapp")
        sysctl.write("net/ipv6/conf/vpeer/accept_dad", 0, peer)  # the peer's address usable at once
        with netns.iproute(peer) as ipr:
            for name in ("lo", "vpeer"):
                link.set_up(ipr, name)
            address.add(ipr, "vpeer", PEER_V4, 24)
            address.add(ipr, "vpeer", PEER_V6, 64)
            address.add(ipr, "lo", FAR_V4, 32)
            address.add(ipr, "lo", FAR_V6, 128)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LD_PRELOAD": str(PRELOAD),
               "RUNU_LKL_TAP": "lkl0", "RUNU_LKL_MAC": MAC, "RUNU_LKL_MTU": "1500",
               "RUNU_LKL_ADDRESSES": f"{APP_V4}/24,{APP_V6}/64", "RUNU_LKL_GATEWAYS": f"{PEER_V4},{PEER_V6}"}
        yield Network(app, peer, env)
    finally:
        netns.remove(app)
        netns.remove(peer)


_lines: dict[int, queue.Queue] = {}


def read_json(proc: subprocess.Popen, timeout: float = 30) -> dict:
    """The next line the program prints, as JSON (it prints nothing else on stdout)."""
    if proc.pid not in _lines:
        lines = _lines[proc.pid] = queue.Queue()

        def read() -> None:
            try:
                for line in proc.stdout:
                    lines.put(line)
            except (OSError, ValueError):
                pass  # closed by stopped()
            lines.put("")
        threading.Thread(target=read, daemon=True).start()
    try:
        line = _lines[proc.pid].get(timeout=timeout)
    except queue.Empty:
        line = ""
    if line:
        return json.loads(line)
    proc.kill()
    raise AssertionError(f"the program said nothing more (status {proc.wait()}): {proc.stderr.read()[-2000:]}")


def stopped(proc: subprocess.Popen) -> str:
    """Stop the program; what it wrote on stderr."""
    err = proc.stderr.read() if proc.poll() is not None else ""
    if proc.poll() is None:
        os.kill(proc.pid, 9)
        proc.wait()
        err = proc.stderr.read()
    process.stop(proc)
    return err


def tcp_echo(ns: str, host: str, port: int, size: int = 300_000) -> tuple[bool, str]:
    """From namespace ns: connect, send size random bytes, read them back; (echoed whole, own address)."""
    with netns.entered(ns):
        client = socket.create_connection((host, port), timeout=15)
    with client:
        payload = os.urandom(size)
        sender = threading.Thread(target=client.sendall, args=(payload,))
        sender.start()
        echoed = bytearray()
        while len(echoed) < size and (chunk := client.recv(65536)):
            echoed += chunk
        sender.join()
        return bytes(echoed) == payload, client.getsockname()[0]


def host_listeners(pid: int, port: int) -> list[str]:
    """Lines of the host stack's TCP tables in pid's namespace listening on port."""
    found = []
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as f:
            found += [line for line in f.readlines()[1:]
                      if line.split()[1].endswith(f":{port:04X}") and line.split()[3] == "0A"]
    return found


def peer_neighbour_mac(network: Network, ip: str) -> str | None:
    with netns.iproute(network.peer) as ipr:
        for n in ipr.get_neighbours(ifindex=link.index(ipr, "vpeer")):
            if n.get_attr("NDA_DST") == ip:
                return n.get_attr("NDA_LLADDR")
    return None


def bind_when_ready(sock: socket.socket, address: tuple) -> None:
    """Bind to an address just added (an IPv6 one is tentative for a moment, even on lo)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.bind(address)
            return
        except OSError as e:
            if e.errno != errno.EADDRNOTAVAIL or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def ping(ns: str, target: str) -> str:
    done = process.spawn(["ping", "-c", "2", "-W", "2", target], ns, stdout=subprocess.PIPE, text=True)
    try:
        out, _ = done.communicate(timeout=20)
    finally:
        process.stop(done)
    assert done.returncode == 0, out
    return out


# A TCP echo server on the socket module: one thread per connection; says each peer's address.
SOCKET_SERVER = r"""
import json, os, socket, sys, threading
family = socket.AF_INET6 if sys.argv[1] == "6" else socket.AF_INET
server = socket.socket(family, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("::" if family == socket.AF_INET6 else "0.0.0.0", int(sys.argv[2])))
server.listen()
print(json.dumps({"release": os.uname().release, "threads": len(os.listdir("/proc/self/task"))}), flush=True)

def serve(conn, peer):
    print(json.dumps({"peer": peer[0]}), flush=True)
    with conn:
        while data := conn.recv(65536):
            conn.sendall(data)

while True:
    conn, peer = server.accept()
    threading.Thread(target=serve, args=(conn, peer), daemon=True).start()
"""

# The same on asyncio (an epoll over its own host socketpair and the kernel's sockets); each echo
# waits on a timer first, so the loop's timeouts are exercised with kernel sockets in its set.
ASYNCIO_SERVER = r"""
import asyncio, json, sys

async def echo(reader, writer):
    print(json.dumps({"peer": writer.get_extra_info("peername")[0]}), flush=True)
    while data := await reader.read(65536):
        await asyncio.sleep(0.01)
        writer.write(data)
        await writer.drain()
    writer.close()
    await writer.wait_closed()

async def main():
    server = await asyncio.start_server(echo, "0.0.0.0", int(sys.argv[1]))
    print(json.dumps({"ready": True}), flush=True)
    async with server:
        await server.serve_forever()

asyncio.run(main())
"""


def test_an_unmodified_python_tcp_server_answers_another_namespace_through_the_library_kernel(network):
    server = network.spawn(SOCKET_SERVER, "4", "7000")
    try:
        facts = read_json(server)
        # The program itself runs on the host's kernel; only its sockets are the library's.
        assert facts["release"] == os.uname().release
        assert "2 received" in ping(network.peer, APP_V4)  # ICMP answered by the library kernel
        for _ in range(2):
            whole, client_address = tcp_echo(network.peer, APP_V4, 7000)
            assert whole
            assert read_json(server) == {"peer": client_address} and client_address == PEER_V4
        # Not the host's stack: it has no listener on the port in the program's namespace (it has
        # no address there at all), and the peer learnt the library kernel's MAC for the address.
        assert host_listeners(server.pid, 7000) == []
        assert peer_neighbour_mac(network, APP_V4) == MAC
    finally:
        err = stopped(server)
    assert err == ""  # the library prints nothing in normal operation


def test_tcp_crosses_the_tap_in_segments_larger_than_the_mtu_and_arrives_whole(network):
    """The tap carries virtio-net headers: the host's GSO segments come in whole and the library
    kernel's TSO ones go out whole (checksums left to the last to see them), both ways of an echo."""
    server = network.spawn(SOCKET_SERVER, "4", "7000")
    try:
        read_json(server)
        with netns.iproute(network.app) as ipr:
            before = link.counters(ipr, "lkl0")
        whole, _ = tcp_echo(network.peer, APP_V4, 7000, size=8 << 20)
        with netns.iproute(network.app) as ipr:
            after = link.counters(ipr, "lkl0")
    finally:
        err = stopped(server)
    assert whole and err == ""
    # tx: into the tap, to the program; rx: what the program's kernel wrote. An Ethernet frame
    # without offloads is 1514 bytes at most.
    for way in ("tx", "rx"):
        frames = after[f"{way}_packets"] - before[f"{way}_packets"]
        assert (after[f"{way}_bytes"] - before[f"{way}_bytes"]) / frames > 1514, way


def test_an_asyncio_server_serves_concurrent_clients(network):
    server = network.spawn(ASYNCIO_SERVER, "7000")
    try:
        assert read_json(server) == {"ready": True}
        with netns.entered(network.peer):
            clients = [socket.create_connection((APP_V4, 7000), timeout=15) for _ in range(3)]
        payloads = [os.urandom(50_000) for _ in clients]
        for client, payload in zip(clients, payloads):
            client.sendall(payload)
        for client, payload in zip(clients, payloads):
            echoed = bytearray()
            while len(echoed) < len(payload) and (chunk := client.recv(65536)):
                echoed += chunk
            assert bytes(echoed) == payload
            client.close()
        assert [read_json(server) for _ in clients] == [{"peer": PEER_V4}] * 3
        assert host_listeners(server.pid, 7000) == []
    finally:
        err = stopped(server)
    assert err == ""


UDP_BOTH_WAYS = r"""
import json, socket, sys
server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
server.bind(("0.0.0.0", 7002))
print(json.dumps({"ready": True}), flush=True)
data, peer = server.recvfrom(2048)
server.sendto(data.upper(), peer)
client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
client.settimeout(15)
client.sendto(b"from the program", (sys.argv[1], 7003))
reply, replier = client.recvfrom(2048)
print(json.dumps({"peer": peer[0], "reply": reply.decode(), "replier": replier[0]}), flush=True)
"""


def test_udp_echo_both_ways(network):
    with netns.entered(network.peer):
        peer_server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        peer_client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer_server.bind((PEER_V4, 7003))
    peer_server.settimeout(15)
    peer_client.settimeout(15)
    program = network.spawn(UDP_BOTH_WAYS, PEER_V4)
    try:
        assert read_json(program) == {"ready": True}
        peer_client.sendto(b"to the program", (APP_V4, 7002))
        assert peer_client.recvfrom(2048) == (b"TO THE PROGRAM", (APP_V4, 7002))
        data, sender = peer_server.recvfrom(2048)
        assert (data, sender[0]) == (b"from the program", APP_V4)
        peer_server.sendto(data[::-1], sender)
        assert read_json(program) == {"peer": PEER_V4, "reply": "margorp eht morf", "replier": PEER_V4}
        assert program.wait(15) == 0
    finally:
        err = stopped(program)
        peer_server.close()
        peer_client.close()
    assert err == ""


# AF_UNIX stays on the host; the kernel boots only at the first socket of a family it serves.
UNIX_ON_THE_HOST = r"""
import json, os, socket, stat, sys
threads = lambda: len(os.listdir("/proc/self/task"))
a, b = socket.socketpair()
a.sendall(b"pair")
pair = b.recv(10).decode()
path = sys.argv[1]
listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
listener.bind(path)
listener.listen()
client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
client.connect(path)
conn, _ = listener.accept()
client.sendall(b"unix")
unix = conn.recv(10).decode()
before = threads()
inet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
with open("/proc/net/unix") as table:
    in_host_table = path in table.read()
print(json.dumps({"pair": pair, "unix": unix, "socket_file": stat.S_ISSOCK(os.stat(path).st_mode),
                  "in_host_table": in_host_table, "threads_before": before, "threads_after": threads()}))
"""


def test_af_unix_stays_on_the_host_and_the_kernel_boots_at_the_first_inet_socket(network, tmp_path):
    path = tmp_path / "sock"
    done = network.run(UNIX_ON_THE_HOST, str(path))
    assert done.returncode == 0, done.stderr
    facts = json.loads(done.stdout)
    assert facts["pair"] == "pair" and facts["unix"] == "unix"
    assert facts["socket_file"] and facts["in_host_table"]
    # Nothing booted for AF_UNIX: one thread; the kernel's threads came with the AF_INET socket.
    assert facts["threads_before"] == 1 and facts["threads_after"] > 3
    assert done.stderr == ""


MIXED_WAIT = r"""
import json, os, resource, select, socket, threading, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 7004))
r, w = os.pipe()
names = {r: "pipe", sock.fileno(): "socket"}

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

def wait(api, timeout):
    if api == "select":
        ready = select.select([r, sock], [], [], timeout)[0]
        return sorted(names[x if isinstance(x, int) else x.fileno()] for x in ready)
    if api == "poll":
        p = select.poll()
        p.register(r, select.POLLIN)
        p.register(sock, select.POLLIN)
        return sorted(names[fd] for fd, _ in p.poll(timeout * 1000))
    with select.epoll() as e:
        e.register(r, select.EPOLLIN)
        e.register(sock.fileno(), select.EPOLLIN)
        return sorted(names[fd] for fd, _ in e.poll(timeout))

def timed(api, timeout=30):
    c, t = cpu(), time.monotonic()
    woke = wait(api, timeout)
    return {"woke": woke, "seconds": time.monotonic() - t, "cpu": cpu() - c}

results = {}
for api in ("select", "poll", "epoll"):
    results[api + " timeout"] = timed(api, 0.3)
    threading.Timer(0.5, os.write, (w, b"x")).start()
    results[api + " pipe"] = timed(api)
    os.read(r, 1)
    print(json.dumps({"waiting": api}), flush=True)  # the peer sends a datagram a second later
    results[api + " socket"] = timed(api)
    sock.recv(100)
print(json.dumps(results), flush=True)
"""


@contextmanager
def woken_by_the_peer(network, script: str):
    """Run `script` in the app's namespace; yield it and a UDP socket of the peer's to wake it
    with. It must end well: exit 0, nothing on stderr."""
    with netns.entered(network.peer):
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    program = network.spawn(script)
    try:
        yield program, sender
        assert program.wait(15) == 0
    finally:
        err = stopped(program)
        sender.close()
    assert err == ""


def test_a_wait_over_a_host_pipe_and_a_kernel_socket_wakes_for_either_without_spinning(network):
    with woken_by_the_peer(network, MIXED_WAIT) as (program, sender):
        for api in ("select", "poll", "epoll"):
            assert read_json(program) == {"waiting": api}
            time.sleep(1)
            sender.sendto(b"wake", (APP_V4, 7004))
        results = read_json(program)
    for api in ("select", "poll", "epoll"):
        timeout, pipe, sock = results[f"{api} timeout"], results[f"{api} pipe"], results[f"{api} socket"]
        assert timeout["woke"] == [] and 0.25 < timeout["seconds"] < 5, (api, timeout)
        assert pipe["woke"] == ["pipe"] and 0.4 < pipe["seconds"] < 5, (api, pipe)
        assert sock["woke"] == ["socket"] and 0.9 < sock["seconds"] < 10, (api, sock)
        # A real wait on both sides: a second of it costs the process (its kernel too) little CPU.
        assert sock["cpu"] < 0.25 * sock["seconds"], (api, sock)


# An epoll waiter asleep on one side of its set sees the other side's first descriptor, added by
# another thread meanwhile.
EPOLL_FROM_ANOTHER_THREAD = r"""
import json, os, select, socket, threading, time
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", 7005))
r, w = os.pipe()
got, out = {}, {}
ep = select.epoll()
ep.register(r, select.EPOLLIN)
waiter = threading.Thread(target=lambda: got.update(host=ep.poll(20)))
waiter.start()
time.sleep(0.3)
ep.register(sock.fileno(), select.EPOLLIN)
print(json.dumps({"waiting": "on the host side"}), flush=True)  # the peer sends a datagram
waiter.join(25)
out["host side"] = [fd == sock.fileno() for fd, _ in got["host"]]
sock.recv(100)
ep.close()
ep = select.epoll()
ep.register(sock.fileno(), select.EPOLLIN)
started = time.monotonic()
waiter = threading.Thread(target=lambda: got.update(kernel=ep.poll(20)))
waiter.start()
time.sleep(0.3)
ep.register(r, select.EPOLLIN)
os.write(w, b"x")
waiter.join(25)
out["kernel side"] = [fd == r for fd, _ in got["kernel"]]
out["seconds"] = time.monotonic() - started
print(json.dumps(out), flush=True)
"""


def test_an_epoll_waiter_sees_descriptors_another_thread_adds_on_the_other_side(network):
    with woken_by_the_peer(network, EPOLL_FROM_ANOTHER_THREAD) as (program, sender):
        assert read_json(program) == {"waiting": "on the host side"}
        time.sleep(0.3)
        sender.sendto(b"wake", (APP_V4, 7005))
        facts = read_json(program)
    assert facts["host side"] == [True] and facts["kernel side"] == [True] and facts["seconds"] < 5, facts


def test_the_kernels_socket_timeouts_fire(network):
    """A timer_list timer (the timer wheel, which TCP's retransmits also hang on) ends the wait."""
    done = network.run("import socket, struct, time\n"
                       "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                       "s.bind(('127.0.0.1', 0))\n"
                       "s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack('ll', 0, 300000))\n"
                       "try:\n"
                       "    s.recv(10)\n"
                       "except BlockingIOError:\n"
                       "    print('timed out')\n", timeout=10)
    assert done.stdout == "timed out\n"


# In C: waits with a signal mask are interrupted by the signals the mask lets in, as the host's
# are (they take the mixed path even over kernel sockets only); close_range leaves the library's
# own descriptors (the tap) open.
SIGNALS_AND_CLOSE_RANGE = r"""
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static pthread_t main_thread;

static void on_usr1(int sig) { (void)sig; }

static void *send_usr1(void *arg)
{
	(void)arg;
	usleep(300000);
	pthread_kill(main_thread, SIGUSR1);
	return NULL;
}

/* Block in `what` over kernel socket fd with SIGUSR1 let in by the mask: it must end with EINTR. */
static void interrupted(const char *what, int fd)
{
	struct timespec ts = { 20, 0 };
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct epoll_event ev = { .events = EPOLLIN }, got;
	sigset_t open;
	pthread_t sender;
	fd_set set;
	int r, ep = -1;

	sigemptyset(&open);
	pthread_create(&sender, NULL, send_usr1, NULL);
	if (!strcmp(what, "ppoll")) {
		r = ppoll(&p, 1, &ts, &open);
	} else if (!strcmp(what, "pselect")) {
		FD_ZERO(&set);
		FD_SET(fd, &set);
		r = pselect(fd + 1, &set, NULL, NULL, &ts, &open);
	} else {
		ep = epoll_create1(EPOLL_CLOEXEC);
		ev.data.fd = fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		r = epoll_pwait(ep, &got, 1, 20000, &open);
	}
	pthread_join(sender, NULL);
	printf("%s %s\n", what, r == -1 && errno == EINTR ? "EINTR" : "not interrupted");
	if (ep >= 0)
		close(ep);
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7007) };
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigset_t usr1;
	int fd;

	(void)argc;
	main_thread = pthread_self();
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, NULL);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	interrupted("ppoll", fd);
	interrupted("pselect", fd);
	interrupted("epoll_pwait", fd);
	close_range(3, ~0U, 0);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	inet_pton(AF_INET, argv[1], &to.sin_addr);
	printf("sent after close_range %zd\n", sendto(fd, "still on the tap", 16, 0, (struct sockaddr *)&to, sizeof(to)));
	return 0;
}
"""


def test_signal_masks_interrupt_waits_and_close_range_keeps_the_tap(network, tmp_path):
    source, binary = tmp_path / "signals.c", tmp_path / "signals"
    source.write_text(SIGNALS_AND_CLOSE_RANGE)
    subprocess.run(["gcc", "-Wall", "-Werror", "-O2", "-o", str(binary), str(source), "-lpthread"], check=True)
    with netns.entered(network.peer):
        receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with receiver:
        receiver.bind((PEER_V4, 7007))
        receiver.settimeout(15)
        program = process.spawn([str(binary), PEER_V4], network.app, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=network.env)
        try:
            out, err = program.communicate(timeout=30)
        finally:
            process.stop(program)
        assert (program.returncode, err) == (0, ""), err
        assert out.splitlines() == ["ppoll EINTR", "pselect EINTR", "epoll_pwait EINTR", "sent after close_range 16"]
        data, sender = receiver.recvfrom(100)
        assert (data, sender[0]) == (b"still on the tap", APP_V4)
# Names: libc's resolver reaches no nameserver from the host stack of the program's namespace, so
# getaddrinfo asks the nameserver of /etc/resolv.conf through the kernel.
RESOLVES = r"""
import json, socket
out = {}
infos = socket.getaddrinfo("service", 7009, type=socket.SOCK_STREAM)
out["addresses"] = [info[4][0] for info in infos]
with socket.create_connection(("service", 7009), timeout=15) as conn:
    out["greeting"] = conn.recv(100).decode()
try:
    socket.getaddrinfo("missing", 80)
except socket.gaierror as e:
    out["missing"] = e.errno == socket.EAI_NONAME
out["canonical"] = socket.getaddrinfo("alias.test", 80, socket.AF_INET, socket.SOCK_STREAM, 0,
                                      socket.AI_CANONNAME)[0][3]
print(json.dumps(out))
"""


def dns_answer(query: bytes) -> bytes:
    """The peer's nameserver: service.test (A, AAAA), alias.test (a CNAME to it), nothing else."""
    off, labels = 12, []
    while query[off]:
        labels.append(query[off + 1:off + 1 + query[off]].decode())
        off += 1 + query[off]
    qtype, name = int.from_bytes(query[off + 1:off + 3], "big"), ".".join(labels).lower()

    def record(rtype: int, rdata: bytes) -> bytes:
        return b"\xc0\x0c" + rtype.to_bytes(2, "big") + b"\x00\x01" + (60).to_bytes(4, "big") + \
            len(rdata).to_bytes(2, "big") + rdata
    records, rcode = [], 0
    if name == "alias.test":
        records.append(record(5, b"\x07service\x04test\x00"))
    if name in ("service.test", "alias.test"):
        if qtype == 1:
            records.append(record(1, socket.inet_pton(socket.AF_INET, PEER_V4)))
        if qtype == 28:
            records.append(record(28, socket.inet_pton(socket.AF_INET6, PEER_V6)))
    else:
        rcode = 3
    header = query[:2] + (0x8180 | rcode).to_bytes(2, "big") + b"\x00\x01" + len(records).to_bytes(2, "big")
    return header + b"\x00\x00\x00\x00" + query[12:off + 5] + b"".join(records)


def test_getaddrinfo_asks_the_nameserver_through_the_kernel(network, tmp_path):
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(f"nameserver {PEER_V4}\nsearch test\noptions timeout:2 attempts:2\n")
    with netns.entered(network.peer):
        nameserver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        listener = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    asked, stop = [], threading.Event()

    def serve_names() -> None:
        nameserver.settimeout(0.2)
        while not stop.is_set():
            try:
                query, client = nameserver.recvfrom(512)
            except TimeoutError:
                continue
            asked.append(query[13:13 + query[12]].decode())
            nameserver.sendto(dns_answer(query), client)

    def greet() -> None:
        conn, peer = listener.accept()
        with conn:
            conn.sendall(f"hello {peer[0]}".encode())
    with nameserver, listener:
        nameserver.bind((PEER_V4, 53))
        listener.bind(("::", 7009))
        listener.listen()
        threads = [threading.Thread(target=serve_names), threading.Thread(target=greet, daemon=True)]
        for thread in threads:
            thread.start()
        # The program sees the test's resolv.conf, in a mount namespace of its own.
        preload = [f"{k}={v}" for k, v in network.env.items() if k != "PATH"]
        program = process.spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                                 'mount --bind "$0" /etc/resolv.conf && exec env "$@"', str(resolv),
                                 *preload, PYTHON, "-c", RESOLVES], network.app, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env={"PATH": network.env["PATH"]})
        try:
            out, err = program.communicate(timeout=60)
        finally:
            process.stop(program)
            stop.set()
            threads[0].join()
    assert (program.returncode, err) == (0, ""), err
    assert json.loads(out) == {"addresses": [PEER_V4, PEER_V6], "greeting": f"hello ::ffff:{APP_V4}",
                               "missing": True, "canonical": "service.test"}
    assert "service" in asked and "missing" in asked  # the search domain's queries, from the kernel


TAKES_THE_TAP = r"""
import errno, socket, sys
try:
    socket.socket(socket.AF_INET, socket.SOCK_STREAM)
except OSError as e:
    sys.exit(3 if e.errno == errno.EBUSY else 4)
"""


def test_a_second_process_cannot_take_the_held_tap_and_says_so_on_one_line(network):
    server = network.spawn(SOCKET_SERVER, "4", "7000")
    try:
        read_json(server)
        second = network.run(TAKES_THE_TAP)
        assert second.returncode == 3, second.stderr
        lines = second.stderr.splitlines()
        assert len(lines) == 1, second.stderr
        assert lines[0].startswith("runu-lkl: ") and "tap lkl0" in lines[0] and "busy" in lines[0]
        # The first still serves.
        assert tcp_echo(network.peer, APP_V4, 7000)[0]
    finally:
        stopped(server)


FORKS = r"""
import errno, json, os, socket
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen()
pid = os.fork()
if pid == 0:
    codes = []
    for attempt in range(2):
        try:
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            codes.append("none")
        except OSError as e:
            codes.append(errno.errorcode[e.errno])
    try:
        listener.getsockname()
        codes.append("none")
    except OSError as e:
        codes.append(errno.errorcode[e.errno])
    listener.close()
    os._exit(0 if codes == ["ENETDOWN", "ENETDOWN", "EBADF"] else 1)
status = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
client = socket.create_connection(listener.getsockname(), timeout=10)
conn, _ = listener.accept()
client.sendall(b"parent still served")
print(json.dumps({"child": status, "parent": conn.recv(100).decode()}))
"""


def test_a_forked_child_cannot_use_its_parents_kernel_and_the_parent_goes_on(network):
    done = network.run(FORKS)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"child": 0, "parent": "parent still served"}
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("runu-lkl: ") and "forked" in lines[0], done.stderr


def test_ipv6_tcp_clients_and_ipv4_ones_on_the_same_dual_stack_server(network):
    server = network.spawn(SOCKET_SERVER, "6", "7006")
    try:
        read_json(server)
        assert "2 received" in ping(network.peer, APP_V6)
        whole, client_address = tcp_echo(network.peer, APP_V6, 7006)
        assert whole and client_address == PEER_V6
        assert read_json(server) == {"peer": PEER_V6}
        assert tcp_echo(network.peer, APP_V4, 7006)[0]
        assert read_json(server) == {"peer": f"::ffff:{PEER_V4}"}
        assert host_listeners(server.pid, 7006) == []
    finally:
        err = stopped(server)
    assert err == ""


# A client that writes and exits at once: what its kernel still holds must reach the peer.
SENDS_AND_EXITS = r"""
import socket, sys
family = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
client = socket.socket(family, socket.SOCK_STREAM)
client.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
client.connect((sys.argv[1], 7008))
client.sendall(bytes(range(256)) * 1024)
print('{"sent": true}', flush=True)
"""


@pytest.mark.parametrize("far", [FAR_V4, FAR_V6])
def test_the_program_connects_out_through_its_gateway_and_what_it_sent_arrives_after_its_exit(network, far):
    with netns.entered(network.peer):
        listener = socket.socket(socket.AF_INET6 if ":" in far else socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        bind_when_ready(listener, (far, 7008))
        listener.listen()
        listener.settimeout(30)
        program = network.spawn(SENDS_AND_EXITS, far)
        try:
            conn, peer = listener.accept()
            with conn:
                # The program's last bytes are still in its kernel when it exits.
                assert read_json(program) == {"sent": True}
                time.sleep(0.5)
                conn.settimeout(30)
                received = bytearray()
                while chunk := conn.recv(1 << 20):
                    received += chunk
            assert program.wait(30) == 0
        finally:
            err = stopped(program)
    assert err == ""
    assert peer[0] == (APP_V6 if ":" in far else APP_V4)
    assert bytes(received) == bytes(range(256)) * 1024  # whole, then the FIN


DESCRIPTORS = r"""
import array, errno, fcntl, json, os, socket, stat, sys, termios
out = {}
listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
listener.listen()
client = socket.create_connection(listener.getsockname())
conn, _ = listener.accept()
out["fstat_socket"] = stat.S_ISSOCK(os.fstat(client.fileno()).st_mode)
out["so_type"] = client.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) == socket.SOCK_STREAM
copy = os.dup(client.fileno())
client.close()
os.write(copy, b"via dup")
out["dup"] = conn.recv(100).decode()
os.dup2(copy, 100)
os.write(100, b"via dup2")
out["dup2"] = conn.recv(100).decode()
import subprocess
subprocess.run(["/bin/true"], check=True)  # vfork: the child closes its descriptors in our table
subprocess.run(["/bin/true"], check=True, preexec_fn=lambda: None)  # fork
os.write(100, b"after children")
out["after_children"] = conn.recv(100).decode()
flags = fcntl.fcntl(copy, fcntl.F_GETFL)
fcntl.fcntl(copy, fcntl.F_SETFL, flags | os.O_NONBLOCK)
out["nonblock"] = bool(fcntl.fcntl(100, fcntl.F_GETFL) & os.O_NONBLOCK)
try:
    os.read(copy, 10)
except BlockingIOError:
    out["eagain"] = True
conn.sendall(b"12345")
os.set_blocking(copy, True)
count = array.array("i", [0])
import select
select.select([copy], [], [], 10)
fcntl.ioctl(copy, termios.FIONREAD, count)
out["fionread"] = count[0]
out["read"] = os.read(copy, 10).decode()
out["cloexec"] = [os.get_inheritable(copy), os.get_inheritable(100)]
with open(sys.argv[1], "rb") as f:
    out["sendfile"] = os.sendfile(conn.fileno(), f.fileno(), 0, 100000)
got = b""
while len(got) < out["sendfile"]:
    got += os.read(100, 65536)
out["sendfile_whole"] = got == open(sys.argv[1], "rb").read()
os.close(copy)
os.write(100, b"after closing one copy")
out["one_copy_left"] = conn.recv(100).decode()
os.close(100)
try:
    os.write(100, b"x")
except OSError as e:
    out["closed"] = errno.errorcode[e.errno]
out["eof"] = conn.recv(100).decode()
print(json.dumps(out))
"""


def test_descriptors_dup_fcntl_ioctl_sendfile_and_close(network, tmp_path):
    data = tmp_path / "data"
    data.write_bytes(os.urandom(70_000))
    done = network.run(DESCRIPTORS, str(data))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "fstat_socket": True, "so_type": True, "dup": "via dup", "dup2": "via dup2", "after_children": "after children",
        "nonblock": True,
        "eagain": True, "fionread": 5, "read": "12345", "cloexec": [False, True], "sendfile": 70_000,
        "sendfile_whole": True, "one_copy_left": "after closing one copy", "closed": "EBADF", "eof": ""}
    assert done.stderr == ""


def test_without_a_tap_the_kernel_has_its_loopback_only(network):
    env = {k: "" for k in network.env if k.startswith("RUNU_LKL_")}
    done = network.run("import json, socket\n"
                       "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                       "s.bind(('127.0.0.1', 9))\n"
                       "s.sendto(b'x', ('127.0.0.1', 9))\n"
                       "print(json.dumps({'got': s.recv(10).decode()}))",
                       env=env)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert json.loads(done.stdout) == {"got": "x"}


def test_a_bad_configuration_is_one_clear_line_and_the_socket_fails(network):
    done = network.run(TAKES_THE_TAP.replace("errno.EBUSY", "errno.EINVAL"),
                       env={"RUNU_LKL_ADDRESSES": "10.99.0.2/33"})
    assert done.returncode == 3, done.stderr
    assert done.stderr.splitlines() == [
        "runu-lkl: RUNU_LKL_ADDRESSES: '10.99.0.2/33' is not an IPv4 or IPv6 address (with an optional /prefix)"]


def test_the_tap_of_a_killed_program_is_free_for_the_next(network):
    server = network.spawn(SOCKET_SERVER, "4", "7000")
    read_json(server)
    stopped(server)  # SIGKILL: no exit handler runs
    again = network.spawn(SOCKET_SERVER, "4", "7000")
    try:
        read_json(again)
        assert tcp_echo(network.peer, APP_V4, 7000)[0]
    finally:
        err = stopped(again)
    assert err == ""


@contextmanager
def under_lklinit(network: Network, program: list[str]):
    """runu-lklinit running ``program`` in the app namespace as the lkl sandbox kind runs it (its
    control line and ready pipe at their descriptors); yields it and the control line's writing
    end once it said ready. The program is SIGKILLed through the control line at the end."""
    control_r, control_w = os.pipe()
    ready_r, ready_w = os.pipe()
    argv = [str(LKLINIT), *(a for k, v in network.env.items() for a in ("--env", f"{k}={v}")), "--", *program]
    onto_its_descriptors = (f"import os, sys; os.dup2({control_r}, {FD_CONTROL}); os.dup2({ready_w}, {FD_READY}); "
                            "os.execv(sys.argv[1], sys.argv[1:])")
    lklinit = process.spawn([sys.executable, "-c", onto_its_descriptors, *argv], network.app,
                            pass_fds=(control_r, ready_w), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    os.close(control_r)
    os.close(ready_w)
    try:
        with os.fdopen(ready_r) as ready:
            assert ready.readline() == "ready\n", lklinit.stderr.read()
        yield lklinit, control_w
    finally:
        try:
            os.write(control_w, b"9\n")  # the program's SIGKILL; never "a9": that would be kill(-1)
        except OSError:
            pass
        os.close(control_w)
        process.stop(lklinit)


def wait_until(condition, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


BOOTS_AND_WAITS = "import socket, time; socket.socket(); print('booted', flush=True); time.sleep(60)"


def test_frames_sent_before_the_program_boots_its_kernel_wait_for_it(network):
    """runu-lklinit attaches the tap before the program runs: an echo request that comes before
    start, and so before the program's first socket boots its kernel, is answered once the kernel
    is up, not dropped (a client's first SYN would wait a second for its retransmission)."""
    with netns.iproute(network.peer) as ipr:
        neighbour.add_permanent(ipr, "vpeer", APP_V4, MAC)  # no ARP: the echo request goes first
        sent = link.sent_packets(ipr, "vpeer")
        with under_lklinit(network, [PYTHON, "-c", BOOTS_AND_WAITS]) as (lklinit, control):
            pinger = process.spawn(["ping", "-c", "1", "-W", "20", APP_V4], network.peer,
                                   stdout=subprocess.PIPE, text=True)
            try:
                wait_until(lambda: link.sent_packets(ipr, "vpeer") > sent)
                os.write(control, b"start\n")
                assert lklinit.stdout.readline() == "booted\n", lklinit.stderr.read()
                out, _ = pinger.communicate(timeout=30)
            finally:
                process.stop(pinger)
    assert pinger.returncode == 0 and " 0% packet loss" in out, out


FIRST_TAKES_THE_TAP = r"""
import errno, os, socket, sys, time
marker = sys.argv[1]
try:
    socket.socket()
except OSError as e:
    print(errno.errorcode[e.errno], flush=True)
    open(marker, "w").close()
    sys.exit(3)
print("booted", flush=True)
deadline = time.monotonic() + 20
while not os.path.exists(marker) and time.monotonic() < deadline:
    time.sleep(0.01)
"""


def test_of_two_programs_that_inherited_the_attached_tap_one_takes_it(network, tmp_path):
    """Two processes started before either booted share runu-lklinit's descriptor of the tap: the
    first to boot takes it, the other's socket fails with EBUSY and one line says why."""
    both = '"$0" -c "$1" "$2" & "$0" -c "$1" "$2"; wait'
    program = ["/bin/sh", "-c", both, PYTHON, FIRST_TAKES_THE_TAP, str(tmp_path / "refused")]
    with under_lklinit(network, program) as (lklinit, control):
        os.write(control, b"start\n")
        out, err = lklinit.communicate(timeout=60)
    assert sorted(out.split()) == ["EBUSY", "booted"], err
    lines = err.splitlines()
    assert len(lines) == 1 and "tap lkl0" in lines[0] and "busy" in lines[0], err


ARM64_SMOKE = r"""
import json, os, select, socket, threading
out = {"machine": os.uname().machine}
server = socket.socket()
server.bind(("127.0.0.1", 5000))
server.listen()

def serve():
    conn, _ = server.accept()
    with conn:
        conn.sendall(conn.recv(100).upper())

thread = threading.Thread(target=serve)
thread.start()
client = socket.create_connection(("127.0.0.1", 5000))
client.sendall(b"arm64 preload")
r, w = os.pipe()
ep = select.epoll()
ep.register(r, select.EPOLLIN)
ep.register(client.fileno(), select.EPOLLIN)
out["epoll"] = [fd == client.fileno() for fd, _ in ep.poll(10)]
out["reply"] = client.recv(100).decode()
thread.join()
with open("/proc/net/tcp") as table:
    out["host_listener"] = ":1388 " in table.read()
print(json.dumps(out))
"""


def test_the_arm64_library_serves_a_program_under_qemu(tmp_path):
    """The cross-built library, preloaded into arm64 Debian's python3 under qemu-aarch64 (in a
    network namespace of its own): loopback TCP and a mixed epoll through the arm64 kernel."""
    import shutil

    from kernelbuild.foreignhost import debian_root
    from kernelbuild.library import installed_problem, library_dir
    from unikraft_build import foreign

    if (problem := installed_problem("arm64")) is not None:
        pytest.skip(f"{problem}: `invoke lkl.build --arch arm64` builds it")
    root = debian_root("arm64")
    here = root / "tmp" / f"lkl-preload-{os.getpid()}"
    shutil.copytree(library_dir("arm64"), here)
    try:
        (here / "smoke.py").write_text(ARM64_SMOKE)
        script = f"LD_PRELOAD=/tmp/{here.name}/librunu-lkl.so exec python3 /tmp/{here.name}/smoke.py"
        argv = foreign.command(root, ["/bin/sh", "-c", script], "arm64")
        argv.insert(1, "--net")  # unshare: the program's own network namespace
        done = subprocess.run(argv, env={"PATH": foreign.PATH}, capture_output=True, text=True, timeout=300,
                              check=False)
    finally:
        shutil.rmtree(here)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-2000:]
    assert json.loads(done.stdout) == {"machine": "aarch64", "epoll": [True], "reply": "ARM64 PRELOAD",
                                       "host_listener": False}
