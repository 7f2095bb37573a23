"""Linux as a library (kernelbuild/library.py, lkl_bindings): a Linux kernel booted inside a Python
process, its files and sockets driven by system calls from host threads, its network on a tap.

A process boots one library kernel, so every case runs its own child Python.
"""
import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lkl_bindings.errors import LibraryMissing
from lkl_bindings.native import module
from netstack import address, link, netns, process, sysctl, tap

ROOT = Path(__file__).resolve().parents[2]

try:
    module()
    MISSING = None
except LibraryMissing as missing:
    MISSING = str(missing)

pytestmark = pytest.mark.skipif(MISSING is not None, reason=MISSING or "")


def run_child(code: str, env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run `code` in a fresh Python (with lkl_bindings importable) and return what it did."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=timeout)


def child_json(code: str, **kwargs) -> dict:
    done = run_child(code, **kwargs)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_boots_in_process_prints_the_release_and_halts():
    facts = child_json("""
        import json, os
        from lkl_bindings import Kernel
        with Kernel(memory_mb=32) as kernel:
            facts = {"release": kernel.release(), "sysname": kernel.uname()[0],
                     "host_pid": os.getpid(), "kernel_pid": kernel.syscall("getpid"),
                     "threads": len(os.listdir("/proc/self/task"))}
        print(json.dumps({**facts, "child_pid": os.getpid()}))
    """)
    assert facts["sysname"] == "Linux"
    assert facts["release"].startswith("7.3")
    # In-process: the kernel's tasks are this process's threads, and its pid 1 is ours to call.
    assert facts["host_pid"] == facts["child_pid"]
    assert facts["kernel_pid"] == 1
    assert facts["threads"] > 3


def test_booting_twice_calls_after_halt_and_a_missing_library_are_clear_errors(tmp_path):
    facts = child_json("""
        import json
        from lkl_bindings import Kernel, KernelError
        errors = {}
        with Kernel() as kernel:
            try:
                Kernel().boot()
            except KernelError as e:
                errors["twice"] = str(e)
        try:
            kernel.release()
        except KernelError as e:
            errors["after_halt"] = str(e)
        print(json.dumps(errors))
    """)
    assert "boots one library kernel" in facts["twice"]
    assert "not running" in facts["after_halt"]
    done = run_child("from lkl_bindings import Kernel; Kernel()", env={"RUNU_LKL_DIR": str(tmp_path)})
    assert done.returncode != 0
    assert f"no library kernel in {tmp_path}" in done.stderr.strip().splitlines()[-1]


def test_ramfs_files_directories_and_kernel_errnos_reported_as_oserror():
    facts = child_json("""
        import errno, json
        from lkl_bindings import Kernel
        from lkl_bindings.constants import O_CREAT, O_EXCL, O_WRONLY
        out = {}
        with Kernel() as kernel:
            kernel.mkdir("/data")
            kernel.mkdir("/data/sub")
            for i in range(3):
                kernel.write_file(f"/data/f{i}", f"content {i} ".encode() * 1000)
            out["listing"] = kernel.listdir("/data")
            out["f2"] = kernel.read_file("/data/f2").decode()[:22]
            out["f2_size"] = len(kernel.read_file("/data/f2"))
            try:
                kernel.open("/data/f0", O_CREAT | O_EXCL | O_WRONLY)
            except FileExistsError as e:
                out["exists"] = e.errno
            try:
                kernel.read_file("/nowhere")
            except FileNotFoundError as e:
                out["missing"] = e.errno
            out["meminfo"] = kernel.read_file("/proc/meminfo").decode().splitlines()[0]
            out["ip_forward"] = kernel.sysctl("net.ipv4.ip_forward", 1)
        print(json.dumps(out))
    """)
    assert facts["listing"] == ["f0", "f1", "f2", "sub"]
    assert facts["f2"] == "content 2 content 2 co"
    assert facts["f2_size"] == len("content 2 ") * 1000
    assert facts["exists"] == 17 and facts["missing"] == 2
    assert facts["meminfo"].startswith("MemTotal:")
    assert facts["ip_forward"] == "1"


def test_host_threads_call_in_concurrently_and_block_in_the_kernel():
    facts = child_json("""
        import json, threading
        from lkl_bindings import Kernel
        out = {}
        with Kernel() as kernel:
            fds = bytearray(8)
            kernel.syscall("pipe2", fds, 0)
            rfd, wfd = int.from_bytes(fds[:4], "little"), int.from_bytes(fds[4:], "little")
            got = {}
            reader = threading.Thread(target=lambda: got.update(data=kernel.read(rfd, 100)))
            reader.start()
            reader.join(0.3)
            out["reader_blocked"] = reader.is_alive()
            kernel.write(wfd, b"woken")
            reader.join(10)
            out["read"] = got.get("data", b"").decode()

            tids = []
            def work(i):
                tids.append(kernel.syscall("gettid"))
                kernel.mkdir(f"/t{i}")
                kernel.write_file(f"/t{i}/x", str(i).encode())
            threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
            for t in threads: t.start()
            for t in threads: t.join(20)
            out["tids"] = len(set(tids))
            out["files"] = sorted(kernel.read_file(f"/t{i}/x").decode() for i in range(8))
        print(json.dumps(out))
    """)
    assert facts["reader_blocked"] is True
    assert facts["read"] == "woken"
    assert facts["tids"] == 8
    assert facts["files"] == [str(i) for i in range(8)]


def test_loopback_tcp_inside_the_library_kernel():
    facts = child_json("""
        import json, threading
        from lkl_bindings import Kernel
        from lkl_bindings.constants import AF_INET, SOCK_STREAM
        with Kernel() as kernel:
            server = kernel.socket(AF_INET, SOCK_STREAM)
            server.bind(("127.0.0.1", 5000))
            server.listen()
            def serve():
                conn, peer = server.accept()
                with conn:
                    conn.sendall(conn.recv(100).upper())
            server_thread = threading.Thread(target=serve)
            server_thread.start()
            with kernel.socket(AF_INET, SOCK_STREAM) as client:
                client.connect(("127.0.0.1", 5000))
                client.sendall(b"through the library kernel")
                reply = client.recv(100).decode()
            server_thread.join()
            server.close()
        print(json.dumps({"reply": reply}))
    """)
    assert facts["reply"] == "THROUGH THE LIBRARY KERNEL"


def test_a_receive_timeout_fires():
    facts = child_json("""
        import errno, json, struct, time
        from lkl_bindings import Kernel
        from lkl_bindings.constants import AF_INET, SOL_SOCKET
        SOCK_DGRAM, SO_RCVTIMEO = 2, 20
        with Kernel() as kernel:
            s = kernel.socket(AF_INET, SOCK_DGRAM)
            s.bind(("127.0.0.1", 5000))
            kernel.syscall("setsockopt", s.fd, SOL_SOCKET, SO_RCVTIMEO, struct.pack("<qq", 0, 300000), 16)
            started = time.monotonic()
            try:
                kernel.syscall("recvfrom", s.fd, bytearray(10), 10, 0, None, None)
            except OSError as error:
                print(json.dumps({"error": errno.errorcode[error.errno], "waited": time.monotonic() - started}))
    """, timeout=30)
    # A timer_list timer (the timer wheel, run from the tick) ends the wait: TCP's retransmits
    # hang on the same wheel.
    assert facts["error"] == "EAGAIN" and 0.3 <= facts["waited"] < 5


def test_a_call_blocked_in_the_kernel_when_it_halts_fails_with_eshutdown():
    facts = child_json("""
        import errno, json, threading, time
        from lkl_bindings import Kernel
        from lkl_bindings.errors import KernelError
        from lkl_bindings.constants import AF_INET, SOCK_STREAM
        outcome = {}
        def wait_for_a_peer(server):
            try:
                server.accept()
            except OSError as error:
                outcome["accept"] = errno.errorcode[error.errno]
        with Kernel() as kernel:
            server = kernel.socket(AF_INET, SOCK_STREAM)
            server.bind(("127.0.0.1", 5000))
            server.listen()
            waiter = threading.Thread(target=wait_for_a_peer, args=(server,))
            waiter.start()
            time.sleep(0.2)
        waiter.join(timeout=10)
        try:
            kernel.syscall("getpid")
        except KernelError as error:
            outcome["after"] = str(error)
        print(json.dumps({**outcome, "waiter_alive": waiter.is_alive()}))
    """, timeout=30)
    # The halt answers the thread blocked in accept instead of leaving it (and the process) hanging.
    assert facts == {"accept": "ESHUTDOWN", "waiter_alive": False,
                     "after": "the library kernel is not running (never booted, or halted)"}


@pytest.fixture
def tap_namespace():
    """A namespace of the test's own with tap lkl0 (host side 10.99.0.1/24, fd00:99::1/64)."""
    ns = f"runu-lkl-{os.getpid()}"
    netns.create(ns)
    try:
        tap.create("lkl0", ns)
        sysctl.write("net/ipv6/conf/lkl0/accept_dad", 0, ns)  # the host side's address usable at once
        with netns.iproute(ns) as ipr:
            link.set_up(ipr, "lo")
            address.add(ipr, "lkl0", "10.99.0.1", 24)
            address.add(ipr, "lkl0", "fd00:99::1", 64)
        yield ns
    finally:
        netns.remove(ns)


def test_serve_answers_ping_and_tcp_echo_from_another_namespace(tap_namespace):
    serve = process.spawn([sys.executable, "-m", "lkl_bindings.serve", "--tap", "lkl0",
                           "--address", "10.99.0.2/24", "--address", "fd00:99::2/64",
                           "--gateway", "10.99.0.1", "--tcp-echo", "7007", "--udp-echo", "7007"],
                          tap_namespace, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        process.wait_for_line(serve, "ready", timeout=30)
        for target in ("10.99.0.2", "fd00:99::2"):
            ping = process.spawn(["ping", "-c", "2", "-W", "2", target], tap_namespace,
                                 stdout=subprocess.PIPE, text=True)
            assert ping.wait(20) == 0, ping.stdout.read()
            assert "2 received" in ping.stdout.read()
        with netns.entered(tap_namespace):
            for family, host in ((socket.AF_INET, "10.99.0.2"), (socket.AF_INET6, "fd00:99::2")):
                with socket.socket(family, socket.SOCK_STREAM) as client:
                    client.settimeout(10)
                    client.connect((host, 7007))
                    payload = os.urandom(200_000)
                    client.sendall(payload)
                    echoed = b""
                    while len(echoed) < len(payload):
                        echoed += client.recv(65536)
                    assert echoed == payload
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
                client.settimeout(10)
                client.sendto(b"datagram", ("10.99.0.2", 7007))
                assert client.recvfrom(100)[0] == b"datagram"
        with netns.iproute(tap_namespace) as ipr:
            neighbours = {n.get_attr("NDA_DST") for n in ipr.get_neighbours(ifindex=link.index(ipr, "lkl0"))}
        assert "10.99.0.2" in neighbours  # its ARP reply was learnt
    finally:
        status = process.stop(serve, grace=10)
    assert status == 0


def test_a_c_program_includes_the_renamed_headers_beside_libcs(tmp_path):
    """The installed UAPI headers are renamed (lkl/..., lkl_ and LKL_ prefixes), so a C program
    can use the kernel's struct sockaddr_in and libc's in one file."""
    from lkl_bindings.native import library_dir

    source = tmp_path / "uses_both.c"
    source.write_text(textwrap.dedent("""
        #include <stdio.h>
        #include <string.h>
        #include <netinet/in.h>
        #include <sys/utsname.h>
        #include <lkl/linux/in.h>
        #include <lkl/linux/utsname.h>
        #include <lkl/asm/unistd.h>

        long lkl_syscall(long no, long *params);
        long lkl_halt(void);
        int lkl_posix_start(unsigned long memory_bytes, const char *cmdline);

        int main(void)
        {
            struct sockaddr_in host = { .sin_port = IPPROTO_TCP };
            struct lkl_sockaddr_in kernel = { .sin_port = LKL_IPPROTO_TCP };
            struct lkl_new_utsname name;
            long params[6] = { (long)&name };

            if (lkl_posix_start(32UL << 20, "quiet"))
                return 1;
            if (lkl_syscall(__lkl__NR_uname, params))
                return 2;
            printf("%s %s %d %d\\n", name.sysname, name.release, host.sin_port == kernel.sin_port,
                   (int)sizeof(kernel) == (int)sizeof(host));
            return lkl_halt() ? 3 : 0;
        }
    """))
    directory = library_dir()
    binary = tmp_path / "uses_both"
    subprocess.run(["gcc", "-Wall", "-Werror", f"-I{directory / 'include'}", "-o", str(binary), str(source),
                    f"-L{directory}", "-llinux", f"-Wl,-rpath,{directory}"], check=True)
    done = subprocess.run([str(binary)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    sysname, release, same_value, same_size = done.stdout.split()
    assert (sysname, same_value, same_size) == ("Linux", "1", "1")
    assert release.startswith("7.3")
