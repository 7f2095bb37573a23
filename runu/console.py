"""--console-socket: hand the pty master to the caller as runc does (SCM_RIGHTS)."""

import os
import socket

from runu.errors import RunuError


def open_console(socket_path: str) -> int:
    """Make a pty, send its master over `socket_path`, return the slave for the container."""
    master, slave = os.openpty()
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(socket_path)
            socket.send_fds(sock, [os.ttyname(slave).encode()], [master])
    except OSError as e:
        os.close(slave)
        raise RunuError(f"console socket {socket_path}: {e.strerror or e}") from None
    finally:
        os.close(master)
    return slave
