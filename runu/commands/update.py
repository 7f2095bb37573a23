"""`runu update`: new linux.resources for a live container, from --resources (a JSON file, "-"
for stdin, as containerd sends them) or runc's flags, which win over the file."""

import json
import sys

from runu.commands import runtime
from runu.errors import RunuError

# runc's flag -> (resources group, key, parse)
FLAGS = {
    "cpu_share": ("cpu", "shares", int), "cpu_quota": ("cpu", "quota", int), "cpu_period": ("cpu", "period", int),
    "cpuset_cpus": ("cpu", "cpus", str), "cpuset_mems": ("cpu", "mems", str),
    "memory": ("memory", "limit", None), "memory_reservation": ("memory", "reservation", None),
    "memory_swap": ("memory", "swap", None), "pids_limit": ("pids", "limit", int),
    "blkio_weight": ("blockIO", "weight", int),
}
_UNITS = {"b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_bytes(text: str) -> int:
    """runc's memory values: a number of bytes, with an optional k/m/g/t unit; -1 for none."""
    text = text.strip().lower().removesuffix("b") or "0"
    try:
        if text == "-1":
            return -1
        if text[-1] in _UNITS:
            return int(float(text[:-1]) * _UNITS[text[-1]])
        return int(text)
    except ValueError:
        raise RunuError(f"invalid memory value {text!r}") from None


def _from_file(path: str) -> dict:
    try:
        text = sys.stdin.read() if path == "-" else open(path).read()
        doc = json.loads(text)
    except (OSError, ValueError) as e:
        raise RunuError(f"--resources {path}: {e}") from None
    if not isinstance(doc, dict):
        raise RunuError(f"--resources {path}: not a JSON object of linux.resources")
    return doc


def run(args, log):
    resources = _from_file(args.resources) if args.resources else {}
    for flag, (group, key, parse) in FLAGS.items():
        value = getattr(args, flag)
        if value is None:
            continue
        try:
            resources.setdefault(group, {})[key] = parse(value) if parse else parse_bytes(value)
        except ValueError:
            raise RunuError(f"--{flag.replace('_', '-')}: invalid value {value!r}") from None
    for field in runtime(args, log).update(args.id, resources):
        log.warning(f"{field} is not enforced: this host's cgroups have no control for it")
