"""The host process of a process the guest's agent started: what `runu exec` leaves behind.

It stands for the guest process on the host, as runc's exec'd process does: its stdio carries
the process's, the signals it gets are the process's (SIGKILL ends the relay, and the monitor
then kills the process), a terminal's resize reaches the guest's terminal, and it exits with
the process's status (137 if the container went first, as a killed process would).
"""

import fcntl
import os
import selectors
import signal
import struct
import termios

from runu import abi
from runu.agent import Session, u32

# Everything a caller can send that is not about the relay itself.
FORWARDED = [s for s in signal.Signals
             if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD, signal.SIGWINCH, signal.SIGPIPE,
                          signal.SIGURG, signal.SIGTTIN, signal.SIGTTOU, signal.SIGTSTP)]
GONE_STATUS = 128 + signal.SIGKILL


def window_size(fd: int) -> tuple[int, int]:
    rows, columns, _, _ = struct.unpack("HHHH", fcntl.ioctl(fd, termios.TIOCGWINSZ, b"\0" * 8))
    return rows, columns


def _write_all(fd: int, data: bytes) -> None:
    """A caller that stopped reading loses the output, not the process its status."""
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass


class _Signals:
    """Signals as bytes on a pipe a selector can wait on (Python's wakeup fd)."""

    def __init__(self, terminal: bool):
        self.read_end, write_end = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
        signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
        for sig in [*FORWARDED, *([signal.SIGWINCH] if terminal else [])]:
            signal.signal(sig, lambda *_: None)
        signal.signal(signal.SIGPIPE, signal.SIG_IGN)

    def take(self) -> bytes:
        try:
            return os.read(self.read_end, 256)
        except BlockingIOError:
            return b""


def _send_file(session: Session, fd: int) -> None:
    while data := os.read(fd, abi.AGENT_MAX_PAYLOAD):
        session.send_stdin(data)
    session.send_stdin(b"")


def relay(session: Session, stdin: int | None, stdout: int, stderr: int, terminal: int | None) -> int:
    """Carry the guest process's stdio, signals and terminal size until it exits; its status."""
    signals = _Signals(terminal is not None)
    selector = selectors.DefaultSelector()
    selector.register(session.sock, selectors.EVENT_READ, "guest")
    selector.register(signals.read_end, selectors.EVENT_READ, "signals")
    if stdin is not None:
        try:
            selector.register(stdin, selectors.EVENT_READ, "stdin")
        except PermissionError:  # a file (or /dev/null) cannot be waited on: it is all there now
            _send_file(session, stdin)
    if terminal is not None and all(window_size(terminal)):
        session.resize(*window_size(terminal))
    while True:
        for key, _ in selector.select():
            if key.data == "signals":
                for signum in signals.take():
                    if signum == signal.SIGWINCH:
                        session.resize(*window_size(terminal))
                    else:
                        session.signal(signum)
            elif key.data == "stdin":
                try:
                    data = os.read(stdin, abi.AGENT_MAX_PAYLOAD)
                except OSError:
                    data = b""  # EIO: the terminal's other side is gone
                if not data:
                    selector.unregister(stdin)
                session.send_stdin(data)
            else:
                frame = session.receive()
                if frame is None:
                    return GONE_STATUS
                frame_type, payload = frame
                if frame_type == abi.AGENT_STDOUT:
                    _write_all(stdout, payload)
                elif frame_type == abi.AGENT_STDERR:
                    _write_all(stderr, payload)
                elif frame_type == abi.AGENT_EXIT:
                    return u32(payload)
                elif frame_type == abi.AGENT_ERROR:
                    _write_all(stderr, b"runu: " + payload.rstrip(b"\n") + b"\n")
                    return 126


def relay_alone(session: Session, console: int | None) -> int:
    """The relay on its own (detached from the caller): with a console, that is all its stdio,
    and its terminal (a session of its own, so a resize of the console sends it SIGWINCH)."""
    import tty

    if console is None:
        return relay(session, 0, 1, 2, terminal=None)
    # What it was started with is the caller's to see closed (containerd reads runu's output
    # until EOF).
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.close(null)
    if os.getpid() != os.getsid(0):
        os.setsid()
    fcntl.ioctl(console, termios.TIOCSCTTY, 0)
    tty.setraw(console)
    return relay(session, console, console, console, terminal=console)
