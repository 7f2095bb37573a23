"""One container writing bulk output to its stdout, timed from the runtime's launch until the
caller has read the last byte and the process's exit status; each function counts the bytes it
read and fails on a short count, so a number always stands for every byte delivered.

Four ways the output travels: `docker run` attached, with and without a terminal (Docker's
API, as the CLI uses it), and `RUNTIME run` of a bundle into a pipe or a terminal (the pty
master from --console-socket), no Docker involved.
"""

import itertools
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

_ids = itertools.count()


def _expect(name: str, got: int, want: int, code: int) -> None:
    if got != want or code != 0:
        raise RuntimeError(f"{name}: {got} of {want} bytes, exit status {code}")


def docker(client, labels: dict, runtime, image: str, command: list[str], size: int, tty: bool) -> float:
    """`docker run [-t] IMAGE COMMAND` with stdout and stderr attached, until its exit status."""
    started = time.monotonic()
    c = client.containers.create(image, command, tty=tty, runtime=runtime.docker, environment=runtime.env,
                                 labels=labels)
    try:
        stream = c.attach(stdout=True, stderr=True, stream=True)
        c.start()
        got = sum(len(chunk) for chunk in stream)
        code = c.wait(timeout=600)["StatusCode"]
        seconds = time.monotonic() - started
    finally:
        c.remove(force=True)
    _expect(f"docker run {'-t ' if tty else ''}({runtime.name})", got, size, code)
    return seconds


def _console_master(sock_path: Path, got: list) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(sock_path))
        server.listen(1)
        server.settimeout(60)
        conn, _ = server.accept()
        with conn:
            got.extend(socket.recv_fds(conn, 1024, 1)[1])


def bundle(binary: str, state_root: Path, bundle_dir: Path, size: int, tty: bool) -> float:
    """`BINARY run` of the bundle: into a pipe, or detached with a terminal (runc takes a
    console socket only so) read to its end; then deleted."""
    cid = f"cb{next(_ids)}"
    cmd = [binary, "--root", str(state_root)]
    if not tty:
        started = time.monotonic()
        proc = subprocess.Popen([*cmd, "run", "--bundle", str(bundle_dir), cid], stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        got = 0
        while chunk := proc.stdout.read1(1 << 20):
            got += len(chunk)
        code = proc.wait(timeout=600)
        seconds = time.monotonic() - started
        _expect(f"{binary} run", got, size, code)
        return seconds
    sock_path = state_root.parent / f"{cid}.sock"
    fds: list = []
    server = threading.Thread(target=_console_master, args=(sock_path, fds))
    server.start()
    while not sock_path.exists():
        time.sleep(0.001)
    started = time.monotonic()
    try:
        subprocess.run([*cmd, "run", "--detach", "--console-socket", str(sock_path), "--bundle", str(bundle_dir), cid],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, check=True, timeout=120)
        server.join(60)
        got = 0
        while True:
            try:
                chunk = os.read(fds[0], 1 << 20)
            except OSError:  # EIO: the container's side of the terminal is closed, all is read
                break
            if not chunk:
                break
            got += len(chunk)
        seconds = time.monotonic() - started
    finally:
        for fd in fds:
            os.close(fd)
        server.join(60)
        sock_path.unlink(missing_ok=True)
        subprocess.run([*cmd, "delete", "--force", cid], capture_output=True, timeout=120)
    _expect(f"{binary} run --console-socket", got, size, 0)
    return seconds
