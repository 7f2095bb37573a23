"""Probes from the host to a container's address: iperf3 throughput, ping RTTs, TCP exchanges."""

import json
import re
import socket
import subprocess
import time

REQUEST = b"x" * 64


def iperf3(ip: str, seconds: int = 5, patience: float = 10) -> dict:
    """One `iperf3 -c` run host -> container: Gbit/s as the receiver counted them, and the
    sender's retransmits. `iperf3 -s` reopens its listening socket after each test: a refusal
    is retried for `patience` s."""
    deadline = time.monotonic() + patience
    while True:
        out = subprocess.run(["iperf3", "-c", ip, "-t", str(seconds), "-J"], capture_output=True, text=True,
                             timeout=seconds + 30)
        report = json.loads(out.stdout)
        if "Connection refused" not in report.get("error", "") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if "error" in report:
        raise RuntimeError(f"iperf3 to {ip}: {report['error']}")
    end = report["end"]
    return {"gbps": end["sum_received"]["bits_per_second"] / 1e9, "retransmits": end["sum_sent"]["retransmits"]}


def ping_rtts(ip: str, count: int = 50, interval: float = 0.05) -> list[float]:
    """Round-trip times in seconds of `count` ICMP echoes (lost ones are missing)."""
    out = subprocess.run(["ping", "-n", "-c", str(count), "-i", str(interval), "-W", "1", ip],
                         capture_output=True, text=True, timeout=count * interval + 30).stdout
    return [float(ms) / 1000 for ms in re.findall(r"time=([\d.]+) ms", out)]


def exchange(sock: socket.socket) -> None:
    """Send REQUEST and read its echo back."""
    sock.sendall(REQUEST)
    got = 0
    while got < len(REQUEST):
        chunk = sock.recv(len(REQUEST) - got)
        if not chunk:
            raise ConnectionError("echo server closed the connection")
        got += len(chunk)


def connect(ip: str, port: int) -> socket.socket:
    sock = socket.create_connection((ip, port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def connect_exchange_close(ip: str, port: int) -> None:
    """One transaction on a fresh connection (netperf's TCP_CRR)."""
    with connect(ip, port) as sock:
        exchange(sock)


def wait_echo(ip: str, port: int, timeout: float = 60) -> None:
    """Until the echo server answers a transaction; TimeoutError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return connect_exchange_close(ip, port)
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no echo from {ip}:{port} after {timeout:.0f} s") from None
            time.sleep(0.1)
