"""OCI hooks: run in order with the state on stdin, honouring each hook's timeout.

A hook runs in a process group of its own, which is killed when the hook
fails, times out, or runu is interrupted; if runu itself dies, the kernel
kills the hook (parent-death signal, set by ext/runu-hookexec before it execs
the hook). Nothing a hook started outlives the operation that ran it.

Docker gives every container a prestart hook, so this is on the path of every
`docker run`: hooks run through runu.spawn, not subprocess and ctypes.
"""

import json
import os

from runu import abi, paths
from runu.errors import RunuError
from runu.spawn import Spawned

# Hook kinds in the order of a container's life.
PHASES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")
CREATE_PHASES = PHASES[:3]  # run by create, in this order


def run_hooks(spec: dict, phase: str, state: dict) -> None:
    """Run every hook of `phase`; the first one that fails or times out raises."""
    for hook in spec.get("hooks", {}).get(phase, []):
        path = hook["path"]
        env = dict(e.split("=", 1) for e in hook.get("env", []))
        timeout = hook.get("timeout")
        argv = [str(paths.hook_exec()), str(os.getpid()), path, *(hook.get("args") or [path])]
        try:
            running = Spawned(argv, env, status_fd=abi.FD_STATUS, group=True)
        except FileNotFoundError:
            raise RunuError(f"hook launcher {paths.hook_exec()} is missing (run `invoke setup`)") from None
        try:
            if why := running.status(abi.FD_STATUS):
                raise RunuError(f"{phase} hook {path}: {why}")
            out, err, code = running.communicate(json.dumps(state).encode(), timeout)
        except TimeoutError:
            raise RunuError(f"{phase} hook {path} timed out after {timeout}s") from None
        finally:
            running.kill_group()  # whatever the hook left in its group goes with it
        if code != 0:
            detail = (err or out).decode(errors="replace").strip()
            raise RunuError(f"{phase} hook {path} exited with {code}" + (f": {detail}" if detail else ""))
