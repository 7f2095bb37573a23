"""How the caller's stdin can reach the guest: UML reads input only from pollable fds."""

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
