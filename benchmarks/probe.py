"""Readiness of the python-listen workload: a TCP connect that is answered with `ready`.

A connect alone is not enough through a published port: docker-proxy accepts before the
container listens, then drops the connection. The workload greets each client, so the greeting
is the proof that the program itself accepted.

Each attempt gives up on its connect after CONNECT_S and on the greeting after GREETING_S, and
the next one opens a fresh connection: a SYN dropped while the sandbox's network is still coming
up would otherwise wait out TCP's one-second retransmission timeout and add it to the
measurement. A connect answers in well under a millisecond on these links once anything
listens or refuses, so CONNECT_S bounds what a dropped SYN adds without cutting a real one
short (it was 100 ms, as long as the greeting's wait, and a sandbox whose network dropped the
first SYNs was measured up to 100 ms late: runu's lkl kind at bundle level, 160 ms against 100).
"""

import socket
import time

GREETING = b"ready"
CONNECT_S = 0.01
GREETING_S = 0.1


def answers(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_S) as s:
            s.settimeout(GREETING_S)
            return s.recv(16).startswith(GREETING)
    except OSError:
        return False


def wait_ready(host: str, port: int, timeout: float, alive=lambda: True) -> float:
    """Poll until (host, port) greets; the monotonic time it did. TimeoutError after `timeout`
    s, RuntimeError as soon as alive() turns false."""
    deadline = time.monotonic() + timeout
    while not answers(host, port):
        if not alive():
            raise RuntimeError("the workload exited before it was ready")
        if time.monotonic() > deadline:
            raise TimeoutError(f"not ready after {timeout:.0f} s")
        time.sleep(0.002)
    return time.monotonic()
