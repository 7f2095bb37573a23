"""The host's side of the guest agent: a session on the container's agent.sock.

The monitor (ext/runu-agenthub.c) listens there and gives each connection a session of the
guest's agent (ext/runu-agent.c). Frames are runu-abi.h's: a 12-byte header (session, type,
zero, payload length; little-endian) then the payload, one frame per SOCK_SEQPACKET message,
session 0 on this side (the monitor stamps the real one).
"""

import _socket  # socket.py's import alone costs `runu create` more than listen() does
import os
import struct
from pathlib import Path

from runu import abi
from runu.errors import RunuError

SOCKET_NAME = "agent.sock"
_HEADER = struct.Struct("<IHHI")


def _short_path(dir_fd: int) -> str:
    """agent.sock through the directory's descriptor: a state root may be deeper than the 108
    bytes a socket address holds."""
    return f"/proc/self/fd/{dir_fd}/{SOCKET_NAME}"


def listen(container_dir: Path) -> int:
    """Bind and listen on the container's agent.sock; the descriptor is the monitor's to serve."""
    dir_fd = os.open(container_dir, os.O_PATH | os.O_CLOEXEC)
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_SEQPACKET | _socket.SOCK_CLOEXEC)
    try:
        sock.bind(_short_path(dir_fd))
        sock.listen(16)
        return sock.detach()
    finally:
        sock.close()
        os.close(dir_fd)


def encode(frame_type: int, payload: bytes = b"") -> bytes:
    return _HEADER.pack(0, frame_type, 0, len(payload)) + payload


def decode(message: bytes) -> tuple[int, bytes]:
    """(type, payload) of a frame from the monitor."""
    if len(message) < abi.AGENT_HEADER:
        raise RunuError("agent: a frame cut short")
    _, frame_type, _, length = _HEADER.unpack_from(message)
    return frame_type, message[abi.AGENT_HEADER:abi.AGENT_HEADER + length]


class Session:
    """One connection to the guest's agent: one process started, or one listing."""

    def __init__(self, container_dir: Path, container_id: str):
        import socket

        dir_fd = os.open(container_dir, os.O_PATH | os.O_CLOEXEC)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.sock.connect(_short_path(dir_fd))
        except OSError as e:
            self.sock.close()
            raise RunuError(f"container {container_id}: its agent does not answer ({e.strerror})") from None
        finally:
            os.close(dir_fd)

    def send(self, frame_type: int, payload: bytes = b"") -> None:
        self.sock.sendall(encode(frame_type, payload))

    def send_stdin(self, data: bytes) -> None:
        """Input for the process, in frames the guest takes; b"" closes its stdin."""
        if not data:
            self.send(abi.AGENT_STDIN)
        for at in range(0, len(data), abi.AGENT_MAX_PAYLOAD):
            self.send(abi.AGENT_STDIN, data[at:at + abi.AGENT_MAX_PAYLOAD])

    def resize(self, rows: int, columns: int) -> None:
        self.send(abi.AGENT_RESIZE, struct.pack("<HH", rows, columns))

    def signal(self, signum: int) -> None:
        self.send(abi.AGENT_SIGNAL, struct.pack("<I", signum))

    def start(self, frame_type: int, description: bytes) -> int:
        """Ask the agent to start a process (EXEC or CONTAINER); its guest pid, or its failure
        to start as a RunuError."""
        self.send(frame_type, description)
        frame = self.receive()
        if frame is not None and frame[0] == abi.AGENT_STARTED:
            return u32(frame[1])
        why = frame[1].decode(errors="replace").strip().removeprefix("runu: ") if frame else "the container stopped"
        raise RunuError(why)

    def receive(self) -> tuple[int, bytes] | None:
        """The next frame, or None once the guest side is gone."""
        message = self.sock.recv(abi.AGENT_HEADER + abi.AGENT_MAX_PAYLOAD)
        return decode(message) if message else None

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "Session":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def u32(payload: bytes) -> int:
    return struct.unpack("<I", payload[:4])[0] if len(payload) >= 4 else 0


def _table(container_dir: Path, container_id: str, request: int, reply: int, payload: bytes = b"") -> str:
    """A listing the agent sends in parts of type `reply`, ended by EXIT."""
    table = b""
    with Session(container_dir, container_id) as session:
        session.send(request, payload)
        while (frame := session.receive()) is not None:
            frame_type, payload = frame
            if frame_type == reply:
                table += payload
            elif frame_type == abi.AGENT_ERROR:
                raise RunuError(f"container {container_id}: {payload.decode(errors='replace').strip()}")
            elif frame_type == abi.AGENT_EXIT:
                break
    return table.decode(errors="replace")


def processes(container_dir: Path, container_id: str, join: bytes = b"") -> list[tuple[int, int, int, str]]:
    """The container's processes in the guest: (pid, ppid, uid, command line). `join` names a
    pod's container by its process (runu.pod.join_prefix); the agent's directory is the pod's."""
    rows = []
    for line in _table(container_dir, container_id, abi.AGENT_PS, abi.AGENT_PS_TABLE, join).splitlines():
        pid, ppid, uid, command = line.split("\t", 3)
        rows.append((int(pid), int(ppid), int(uid), command))
    return rows


def guest_stats(container_dir: Path, container_id: str) -> dict[str, int]:
    """The guest's own view of its memory (bytes) and CPU time (USER_HZ ticks):
    memory.MemTotal, memory.MemAvailable, ..., cpu.user, cpu.system, cpu.idle."""
    stats = {}
    for line in _table(container_dir, container_id, abi.AGENT_STATS, abi.AGENT_STATS_TABLE).splitlines():
        name, value = line.split()
        stats[name] = int(value) * 1024 if name.startswith("memory.") else int(value)
    return stats
