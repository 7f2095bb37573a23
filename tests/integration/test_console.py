"""terminal: true: the pty master arrives on --console-socket, as runc sends it."""

import os
import select
import socket
import subprocess
import threading

from tests.conftest import RUNU


def receive_pty(sock_path, got):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(sock_path))
        server.listen(1)
        conn, _ = server.accept()
        with conn:
            msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
            got.extend(fds)


def test_console_socket_receives_a_usable_terminal(runu, make_bundle, tmp_path):
    bundle = make_bundle(["sh", "-c", "tty; read x; echo got:$x"], terminal=True)
    sock_path = tmp_path / "console.sock"
    got = []
    server = threading.Thread(target=receive_pty, args=(sock_path, got))
    server.start()
    while not sock_path.exists():
        pass
    proc = subprocess.Popen([RUNU, "--root", str(runu.root), "run", "--console-socket", str(sock_path),
                             "--bundle", str(bundle), "c1"], stdin=subprocess.DEVNULL)
    server.join(10)
    master = got[0]
    os.write(master, b"hello\n")
    output = b""
    while select.select([master], [], [], 20)[0]:  # until the container's side of the pty closes
        try:
            chunk = os.read(master, 1024)
        except OSError:  # EIO: nobody holds the terminal any more, all output is read
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(20) == 0
    os.close(master)
    text = output.decode()
    assert "/dev/tty1\r\n" in text  # the guest's console line is the process's terminal
    assert "got:hello\r\n" in text  # typed input arrives, output is cooked by a terminal
