"""The host's end of a container's terminal, as a runtime hands it over: the pty master that
arrives on --console-socket, and all that the container writes to it."""

import os
import select
import socket
import subprocess
import threading

from tests.conftest import RUNU


def receive_pty(sock_path, got: list) -> None:
    """Listen on `sock_path` for one runtime's connection; append the descriptor it sends."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(sock_path))
        server.listen(1)
        server.settimeout(60)
        conn, _ = server.accept()
        with conn:
            got.extend(socket.recv_fds(conn, 1024, 1)[1])


def read_until_closed(master: int, timeout: float = 60) -> bytes:
    """Everything the container's side writes, until it closes the terminal (or is silent for
    `timeout` seconds)."""
    chunks = []
    while select.select([master], [], [], timeout)[0]:
        try:
            chunk = os.read(master, 1 << 16)
        except OSError:  # EIO: nobody holds the terminal any more, all output is read
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def run_with_console(root, bundle, sock_path) -> tuple[subprocess.Popen, int]:
    """`runu run --console-socket` of the bundle: the running runu and the pty master."""
    sock_path.unlink(missing_ok=True)  # a run's before this one
    got = []
    server = threading.Thread(target=receive_pty, args=(sock_path, got))
    server.start()
    while not sock_path.exists():
        pass
    proc = subprocess.Popen([RUNU, "--root", str(root), "run", "--console-socket", str(sock_path),
                             "--bundle", str(bundle), "c1"], stdin=subprocess.DEVNULL)
    server.join(60)
    return proc, got[0]
