"""The process that called runu, from which the container's process must descend: containerd's
shim (or `runu run`) reaps it. A create that a warm worker serves (runu.warm) runs in another
process tree, so it asks the front end, its caller's child, to spawn the sandbox launcher; any
other runu spawns it itself. The messages are runu-abi.h's RUNU_WARM_ words.
"""

import _socket
import fcntl
import os
from array import array

from runu import abi

# The front end's connection, in a warm worker (runu.warm sets it); None: the caller is our parent.
front = None


class NotServed(BaseException):
    """Raised in a warm worker, before it has done anything, for a create only the caller's own
    process can do: the front runs the Python CLI instead. A BaseException, as no error handler
    may report it."""


def require_own_process(why: str) -> None:
    if front is not None:
        raise NotServed(why)


def encode(*words: str) -> bytes:
    return b"".join(os.fsencode(word) + b"\0" for word in words)


def decode(message: bytes) -> list[str]:
    return [os.fsdecode(word) for word in message.split(b"\0")[:-1]]


def spawn(argv: list[str], fds: dict[int, int]) -> int:
    """Start `argv` as our caller's descendant, with an empty environment and `fds` (its number
    in the program -> ours); its pid. OSError if it cannot start."""
    if front is None:
        high = {target: fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100) for target, fd in fds.items()}
        try:  # above the targets, so no dup2 clobbers a source
            return os.posix_spawn(argv[0], argv, {}, setsigmask=(),
                                  file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in high.items()])
        finally:
            for fd in high.values():
                os.close(fd)
    front.sendmsg([encode(abi.WARM_SPAWN, str(len(argv)), *argv, *map(str, fds))],
                  [(_socket.SOL_SOCKET, _socket.SCM_RIGHTS, array("i", fds.values()))])
    answer = decode(front.recv(4096))
    if answer[:1] != [abi.WARM_PID]:
        error = int(answer[1]) if answer[:1] == [abi.WARM_ERROR] else 0
        raise OSError(error, os.strerror(error) if error else "runu's front end did not spawn it", argv[0])
    return int(answer[1])


def reap(pid: int) -> None:
    """Wait for a program `spawn` started to end; the front reaps those it spawned itself."""
    if front is None:
        os.waitpid(pid, 0)
