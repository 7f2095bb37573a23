"""One module per verb, each a thin layer over runu.container."""

from pathlib import Path


def runtime(args, log):
    from runu.container import Runtime

    return Runtime(Path(args.root), log, getattr(args, "systemd_cgroup", False), getattr(args, "sandbox", None))
