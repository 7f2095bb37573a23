"""A warm runu for create: Python started and every runu module imported once, then a fork per
create. Starting Python and importing runu take about 25 ms of a cold `runu create`'s 40.

The front end (ext/runu-warm.c) starts this server in the background when it finds none, and
runs that create itself; later ones it sends here. Each gets a worker forked from the server,
with the caller's streams, working directory, umask and environment, which runs create as the
CLI would and reports its exit status. The container's processes stay the caller's descendants:
the worker asks the front to spawn the sandbox launcher (runu.caller).

There is one server per context, which the front names (the socket's name hashes the
installation, the caller's namespaces, cgroup and privileges, and the RUNU_ variables; only
root's calls come here). It ends when it has had no request for IDLE_SECONDS, and when its code changed on
disk (that request is deferred to the CLI, which starts a new server).
"""

import fcntl
import os
import pkgutil
import resource
import select
import signal
import socket
import struct
import sys
from array import array
from pathlib import Path

from runu import abi, caller

IDLE_SECONDS = float(os.environ.get("RUNU_WARM_IDLE", "30"))  # a RUNU_ variable: a server of its own
MESSAGE_MAX = 65536  # ext/runu-warm.c's
REQUEST_FDS = 4  # stdin, stdout, stderr, the working directory
_PEERCRED = struct.Struct("3i")  # pid, uid, gid
_LIMITS = [getattr(resource, name) for name in dir(resource) if name.startswith("RLIMIT_")]


def serve(socket_path: str) -> int:
    """Serve creates on `socket_path` until idle or stale; 0 at once if another server has it."""
    Path(abi.WARM_DIR).mkdir(mode=0o700, exist_ok=True)
    lock_path = f"{socket_path}.lock"
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return 0  # started twice at once: the other serves
    _import_runu()
    code = _code_signature()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET | socket.SOCK_CLOEXEC)
    try:
        os.unlink(socket_path)  # a server's that ended without removing it (killed)
    except FileNotFoundError:
        pass
    listener.bind(socket_path)
    listener.listen(64)
    signal.signal(signal.SIGTERM, _end)
    try:
        _serve(listener, code, lock)
    finally:
        # Under the lock: no newer server has bound it. A server that opened the lock file
        # before it goes may start beside one that makes a new file; the first to idle ends.
        os.unlink(socket_path)
        os.unlink(lock_path)
        listener.close()
    return 0


def _end(signum, frame) -> None:
    """SIGTERM: end as when idle, the socket removed."""
    raise SystemExit(0)


def _import_runu() -> None:
    """Every runu module, so that no create pays for an import."""
    import runu

    for module in pkgutil.walk_packages(runu.__path__, "runu."):
        __import__(module.name)


def _code_signature() -> list[tuple[str, int, int]]:
    """What the imported code was read from: every runu module and the CLI script (on every
    request: scandir, as pathlib's walk costs a create 0.3 ms more)."""
    st = os.stat(sys.argv[0])
    found = [(sys.argv[0], st.st_mtime_ns, st.st_size)]
    directories = [os.path.dirname(caller.__file__)]
    while directories:
        with os.scandir(directories.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py"):
                    st = entry.stat()
                    found.append((entry.path, st.st_mtime_ns, st.st_size))
                elif entry.is_dir() and entry.name != "__pycache__":
                    directories.append(entry.path)
    return sorted(found)


class _Worker:
    def __init__(self, pid: int, conn):
        self.pid, self.conn, self.pidfd, self.interrupted = pid, conn, os.pidfd_open(pid), False


def _serve(listener, code, lock: int) -> None:
    workers: dict[int, _Worker] = {}  # by pidfd
    while True:
        poll = select.poll()
        poll.register(listener.fileno(), select.POLLIN)
        for worker in workers.values():
            poll.register(worker.pidfd, select.POLLIN)
            poll.register(worker.conn.fileno(), 0)  # POLLHUP: the front ended (killed)
        ready = dict(poll.poll(None if workers else IDLE_SECONDS * 1000))
        if not ready:
            return  # idle
        for worker in list(workers.values()):
            if ready.get(worker.pidfd):
                os.waitpid(worker.pid, 0)
                os.close(worker.pidfd)
                worker.conn.close()
                del workers[worker.pidfd]
            elif ready.get(worker.conn.fileno()) and not worker.interrupted:
                os.kill(worker.pid, signal.SIGINT)  # create cleans up as on Ctrl-C
                worker.interrupted = True
        if ready.get(listener.fileno()):
            conn, _ = listener.accept()
            if _code_signature() != code:
                conn.send(caller.encode(abi.WARM_DEFER))
                conn.close()
                return  # the front starts a server of the new code
            try:
                if (worker := _fork_worker(conn, listener, lock)) is not None:
                    workers[worker.pidfd] = worker
            except OSError:  # the front went (killed) before it was answered
                conn.close()


def _fork_worker(conn, listener, lock: int) -> _Worker | None:
    """A worker for the request on `conn`, or None when it is refused (deferred)."""
    message, ancillary, flags, _ = conn.recvmsg(MESSAGE_MAX, socket.CMSG_SPACE(4 * REQUEST_FDS))
    fds = array("i")
    for level, kind, data in ancillary:
        if (level, kind) == (socket.SOL_SOCKET, socket.SCM_RIGHTS):
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    front, uid, _ = _PEERCRED.unpack(conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size))
    words = caller.decode(message)
    if (uid != os.geteuid() or len(fds) != REQUEST_FDS or flags & (socket.MSG_TRUNC | socket.MSG_CTRUNC)
            or words[:1] != [abi.WARM_REQUEST]):
        conn.send(caller.encode(abi.WARM_DEFER))
        conn.close()
        for fd in fds:
            os.close(fd)
        return None
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        listener.close()
        os.close(lock)  # a new server may start while this worker ends
        _work(conn, front, words[1:], fds)
    for fd in fds:
        os.close(fd)
    return _Worker(pid, conn)


def _work(conn, front: int, words: list[str], fds: list[int]) -> None:
    """The worker: become the caller (streams, directory, umask, resource limits, environment;
    its privileges are in the server's key), run create."""
    status = 1
    try:
        conn.send(caller.encode(abi.WARM_GO))
        for limit in _LIMITS:
            resource.setrlimit(limit, resource.prlimit(front, limit))
        umask, argc = int(words[0]), int(words[1])
        argv, env = words[2:2 + argc], words[2 + argc:]
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        os.fchdir(fds[3])
        for fd in fds:
            os.close(fd)
        os.umask(umask)
        os.environ.clear()
        os.environ.update(dict(var.split("=", 1) for var in env if "=" in var))
        caller.front = conn
        from runu.cli import flushed_status

        status = flushed_status(argv)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the front may end as soon as it has this
        conn.send(caller.encode(abi.WARM_EXIT, str(status)))
    except caller.NotServed:
        conn.send(caller.encode(abi.WARM_DEFER))
    except BaseException:  # the front reports an ended worker
        pass
    finally:
        os._exit(status)
