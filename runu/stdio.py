"""How the caller's stdio reaches the guest: UML reads input only from pollable fds; the
guest's stdout and stderr follow the caller's."""

import os
import select


def stdio_mode(fd: int = 0) -> str:
    """"pipes" when `fd` can be polled (pipe, socket, tty); "pipes-nostdin" otherwise
    (/dev/null or a regular file), where the process then reads EOF."""
    ep = select.epoll()
    try:
        ep.register(fd, select.EPOLLIN)
        return "pipes"
    except OSError:
        return "pipes-nostdin"
    finally:
        ep.close()


def outputs_merged() -> bool:
    """True when the caller's stdout and stderr are one file (`2>&1`, one terminal): the
    guest then gives its process one pipe for both, so the order of their lines holds."""
    try:
        out, err = os.fstat(1), os.fstat(2)
    except OSError:
        return False
    return (out.st_dev, out.st_ino) == (err.st_dev, err.st_ino)
