"""OCI hooks: run in order with the state on stdin, honouring each hook's timeout.

A hook runs in a process group of its own, which is killed when the hook
fails, times out, or runu is interrupted; if runu itself dies, the kernel
kills the hook (parent-death signal). Nothing a hook started outlives the
operation that ran it.
"""

import json
import signal

from runu.errors import RunuError

# Hook kinds in the order of a container's life.
PHASES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")
_PR_SET_PDEATHSIG = 1


def _kill_group(hook) -> None:
    import os

    try:
        os.killpg(hook.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    hook.wait()


def run_hooks(spec: dict, phase: str, state: dict) -> None:
    """Run every hook of `phase`; the first one that fails or times out raises."""
    hooks = spec.get("hooks", {}).get(phase, [])
    if not hooks:
        return
    import ctypes  # only when there is a hook: most containers have none
    import subprocess

    prctl = ctypes.CDLL(None).prctl  # looked up here: the child between fork and exec only calls it
    for hook in hooks:
        path = hook["path"]
        env = dict(e.split("=", 1) for e in hook.get("env", []))
        timeout = hook.get("timeout")
        try:
            proc = subprocess.Popen(hook.get("args") or [path], executable=path, env=env,
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    process_group=0,
                                    preexec_fn=lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGKILL))
        except OSError as e:
            raise RunuError(f"{phase} hook {path}: {e.strerror}") from None
        try:
            out, err = proc.communicate(json.dumps(state).encode(), timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RunuError(f"{phase} hook {path} timed out after {timeout}s") from None
        except BaseException:
            _kill_group(proc)
            raise
        _kill_group(proc)  # whatever the hook left in its group goes with it
        if proc.returncode != 0:
            detail = (err or out).decode(errors="replace").strip()
            raise RunuError(
                f"{phase} hook {path} exited with {proc.returncode}" + (f": {detail}" if detail else "")
            )
