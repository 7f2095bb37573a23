"""One module per verb, each a thin layer over runu.container."""

from pathlib import Path

from runu.container import Runtime


def runtime(args, log) -> Runtime:
    return Runtime(Path(args.root), log)
