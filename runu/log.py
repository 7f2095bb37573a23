"""Runtime log: what containerd reads from --log when a call fails."""

import json
import os
import sys
import time
from pathlib import Path


class RuntimeLog:
    """Writes records to --log (text or JSON lines). Warnings also go to stderr, as runc's do:
    a failed poststart hook must not pass unseen. Without --log, debug records (under --debug)
    go to stderr; errors are the CLI's own one line."""

    def __init__(self, path: str | None, fmt: str = "text", debug: bool = False):
        self.path = Path(path) if path else None
        self.fmt = fmt
        self.debug_enabled = debug

    def _write(self, level: str, msg: str) -> None:
        if level == "warning":
            _to_stderr(f"runu: warning: {msg}")
        if self.path is None:
            if level == "debug" and self.debug_enabled:
                _to_stderr(f"runu: {msg}")
            return
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if self.fmt == "json":
            line = json.dumps({"level": level, "msg": msg, "time": now})
        else:
            line = f'time="{now}" level={level} msg={json.dumps(msg)}'
        with self.path.open("a") as f:
            f.write(line + "\n")

    def error(self, msg: str) -> None:
        self._write("error", msg)

    def warning(self, msg: str) -> None:
        self._write("warning", msg)

    def debug(self, msg: str) -> None:
        if self.debug_enabled:
            self._write("debug", msg)


def _to_stderr(line: str) -> None:
    """A caller may start runu with stderr closed (containerd's CRI does): the record still goes
    to --log, and the call does not fail for it, nor runu's exit (which flushes stderr again)."""
    try:
        print(line, file=sys.stderr, flush=True)
    except (OSError, ValueError, AttributeError):
        sys.stderr = open(os.devnull, "w")
