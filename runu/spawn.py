"""Run a helper program with pipes to its end, as subprocess would, with os and select alone.

Every create runs Docker's prestart hook and the network hand-over; importing subprocess (with
threading, selectors and locale) would add 5 ms to each. A program may get one more pipe,
`status_fd`, that it writes to only on failure (close-on-exec otherwise): ext/runu-hookexec
reports a failed exec there.
"""

import os
import select
import signal
import time


class Spawned:
    """A running program: its pid (0 once reaped), its process group (its own, with `group`),
    and runu's ends of its stdin, stdout, stderr and status pipes."""

    def __init__(self, argv: list[str], env=None, status_fd: int | None = None, group: bool = False):
        child_ends, self.pipes = [], {}
        for target in (0, 1, 2, *(() if status_fd is None else (status_fd,))):
            r, w = os.pipe2(os.O_CLOEXEC)
            child_end, ours = (r, w) if target == 0 else (w, r)
            child_ends.append((target, child_end))
            self.pipes[target] = ours
        try:
            self.pid = os.posix_spawn(argv[0], argv, os.environ if env is None else env,
                                      file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in child_ends],
                                      setsigmask=(), **({"setpgroup": 0} if group else {}))
        except BaseException:
            self.close()
            raise
        finally:
            for _, fd in child_ends:
                os.close(fd)
        self.group = self.pid if group else 0

    def status(self, fd: int) -> str:
        """What the program wrote to its status pipe `fd` before exec, or before it exited."""
        with os.fdopen(self.pipes.pop(fd), "rb") as status:
            return status.read().decode(errors="replace")

    def communicate(self, stdin: bytes = b"", timeout: float | None = None) -> tuple[bytes, bytes, int]:
        """Write `stdin`, read stdout and stderr to their ends, reap: (out, err, exit status as
        subprocess gives it). TimeoutError when `timeout` seconds pass first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        output = {target: bytearray() for target in self.pipes if target != 0}
        poll = select.poll()
        by_fd = {fd: target for target, fd in self.pipes.items()}
        for fd, target in by_fd.items():
            os.set_blocking(fd, False)
            poll.register(fd, select.POLLOUT if target == 0 else select.POLLIN)
        while by_fd:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = poll.poll(None if left is None else left * 1000)
            if not ready and left == 0:
                raise TimeoutError
            for fd, _ in ready:
                target = by_fd[fd]
                if target == 0:
                    try:
                        stdin = stdin[os.write(fd, stdin):]
                    except BrokenPipeError:  # a program need not read its input
                        stdin = b""
                    if stdin:
                        continue
                elif chunk := os.read(fd, 65536):
                    output[target] += chunk
                    continue
                poll.unregister(fd)
                os.close(self.pipes.pop(by_fd.pop(fd)))
        return bytes(output[1]), bytes(output[2]), self._wait(deadline)

    def _wait(self, deadline: float | None) -> int:
        while True:
            pid, status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            if pid:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() >= deadline:
                raise TimeoutError
            time.sleep(0.005)

    def kill_group(self) -> None:
        """Everything in the program's group (which outlives the program while anything it
        started runs); the program reaped."""
        if self.group:  # 0: the program shares runu's group, which is not the program's to kill
            try:
                os.killpg(self.group, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.pid:
            os.waitpid(self.pid, 0)
            self.pid = 0
        self.close()

    def close(self) -> None:
        for fd in self.pipes.values():
            os.close(fd)
        self.pipes.clear()


def run(argv: list[str], stdin: bytes = b"") -> tuple[bytes, bytes, int]:
    """Run `argv` to its end: (stdout, stderr, exit status)."""
    return Spawned(argv).communicate(stdin)
