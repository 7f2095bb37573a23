"""The quick reading of a command line gives argparse's namespace, or leaves the line to it."""

import pytest

from runu.argparser import build_parser
from runu.cli import COMMANDS, GLOBALS, _verb
from runu.quickargs import quick_parse

GLOBAL = ["--root", "/run/containerd/runc/moby", "--log", "/l/log.json", "--log-format", "json"]
READ_QUICKLY = [
    [*GLOBAL, "--systemd-cgroup", "create", "--bundle", "/b", "--pid-file", "/b/init.pid", "--console-socket",
     "/tmp/pty.sock", "id1"],
    [*GLOBAL, "create", "--bundle=/b", "--no-pivot", "--no-new-keyring", "--preserve-fds", "3", "id1"],
    ["create", "-b", "/b", "id1"],
    ["create", "id1", "--bundle", "/b"],
    [*GLOBAL, "start", "id1"],
    [*GLOBAL, "state", "id1"],
    [*GLOBAL, "kill", "id1", "9"],
    [*GLOBAL, "kill", "--all", "id1", "SIGKILL"],
    [*GLOBAL, "kill", "id1"],
    [*GLOBAL, "delete", "--force", "id1"],
    ["--debug", "--sandbox", "vm", "delete", "-f", "id1"],
    ["--root=/r", "list", "--format", "json"],
    ["run", "-d", "--bundle", "/b", "id1"],
    ["update", "--memory", "1000", "--pids-limit", "10", "id1"],
    ["events", "--stats", "id1"],
    ["features"],
    ["spec", "--rootless"],
    ["state", "-"],
]
LEFT_TO_ARGPARSE = [
    ["--help"], ["-v"], ["create", "--help"], ["create", "--bund", "/b", "id1"], ["--sys", "state", "id1"],
    ["create", "--pid-file", "--bundle", "id1"], ["create", "--preserve-fds", "x", "id1"],
    ["create", "--preserve-fds=-1", "id1"], ["list", "--format", "yaml"], ["kill", "id1", "--all", "9"],
    ["kill", "id1", "-9"], ["state"], ["state", "a", "b"], ["create", "--", "id1"], ["state", "id1", "--root", "/r"],
    ["frobnicate"], [], ["--root"], ["--debug=yes", "state", "id1"], ["events", "--interval", "5s", "id1"],
    ["ps", "id1"], ["exec", "--process", "/p.json", "id1"], ["-b=/b", "create", "id1"],
]


@pytest.mark.parametrize("argv", READ_QUICKLY, ids=" ".join)
def test_the_usual_shapes_read_as_argparse_reads_them(argv):
    quick = quick_parse(argv, GLOBALS, COMMANDS)
    assert quick is not None
    assert vars(quick) == vars(build_parser(_verb(argv)).parse_args(argv))


@pytest.mark.parametrize("argv", LEFT_TO_ARGPARSE, ids=" ".join)
def test_anything_else_is_left_to_argparse(argv):
    assert quick_parse(argv, GLOBALS, COMMANDS) is None
