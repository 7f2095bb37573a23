"""OCI hooks: run in order with the state on stdin, honouring each hook's timeout."""

import json

from runu.errors import RunuError

# Hook kinds in the order of a container's life.
PHASES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")


def run_hooks(spec: dict, phase: str, state: dict) -> None:
    """Run every hook of `phase`; the first one that fails or times out raises."""
    hooks = spec.get("hooks", {}).get(phase, [])
    if not hooks:
        return
    import subprocess  # only when there is a hook: most containers have none

    for hook in hooks:
        path = hook.get("path")
        if not path:
            raise RunuError(f"{phase} hook without a path")
        args = hook.get("args") or [path]
        env = dict(e.split("=", 1) for e in hook.get("env", []) if "=" in e)
        timeout = hook.get("timeout")
        try:
            result = subprocess.run(
                args, executable=path, input=json.dumps(state).encode(), env=env,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise RunuError(f"{phase} hook {path} timed out after {timeout}s") from None
        except OSError as e:
            raise RunuError(f"{phase} hook {path}: {e.strerror}") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).decode(errors="replace").strip()
            raise RunuError(
                f"{phase} hook {path} exited with {result.returncode}" + (f": {detail}" if detail else "")
            )
