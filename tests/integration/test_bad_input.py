"""Malformed and unusual config.json, as a sloppy operator or a buggy orchestrator writes them.

Each refused case: exit 1 and exactly the one line that names the field (the leak check
runs after each). Each valid case: it runs, as under runc.
"""

import os
import signal
import subprocess
import sys
import time

import pytest

from runu.process import is_alive
from tests.conftest import RUNU, sandbox_processes


def _set(path: str, value):
    """An edit setting spec[a][b]... (dotted path) to value, creating objects on the way."""
    def edit(spec):
        *parents, last = path.split(".")
        node = spec
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value
    return edit


def _hook(phase: str, **hook):
    return lambda spec: spec.setdefault("hooks", {}).setdefault(phase, []).append(hook)


def _namespace(ns: dict):
    return lambda spec: spec["linux"]["namespaces"].append(ns)


REFUSED = {
    "memory limit as a string": (_set("linux.resources.memory.limit", "64m"),
                                 "linux.resources.memory.limit: must be an integer, not a string ('64m')"),
    "namespaces as a string": (_set("linux.namespaces", "pid"),
                               "linux.namespaces: must be a list, not a string ('pid')"),
    "a number in env": (_set("process.env", [5]), "process.env[0]: must be a string, not an integer (5)"),
    "annotations as a list": (_set("annotations", ["a"]), "annotations: must be an object, not a list"),
    "linux as a string": (_set("linux", "x"), "linux: must be an object, not a string ('x')"),
    "unknown namespace type": (_namespace({"type": "foo"}),
                               "linux.namespaces[5].type: unknown namespace type 'foo' "
                               "(known: pid, network, mount, ipc, uts, user, cgroup, time)"),
    "a namespace twice": (_namespace({"type": "pid"}), "linux.namespaces[5].type: namespace type 'pid' appears twice"),
    "hook timeout -1": (_hook("prestart", path="/bin/true", timeout=-1),
                        "hooks.prestart[0].timeout: -1 is below the least allowed, 1"),
    "relative hook path": (_hook("poststop", path="bin/true"),
                           "hooks.poststop[0].path: 'bin/true' must be an absolute path"),
    "args as a string": (_set("process.args", "sh -c true"),
                         "process.args: must be a list, not a string ('sh -c true')"),
    "env as a string": (_set("process.env", "A=1"), "process.env: must be a list, not a string ('A=1')"),
    "memory limit of 1 byte": (_set("linux.resources.memory.limit", 1),
                               "linux.resources.memory.limit: 1 is less than the 32 MiB (33554432 bytes) "
                               "a runu guest needs to boot"),
    "memory limit of 1 TB": (_set("linux.resources.memory.limit", 10**12),
                             "linux.resources.memory.limit: 953674 MiB is more than this host can back as "
                             "guest memory (at most "),
    "cpu quota -5": (_set("linux.resources.cpu", {"quota": -5, "period": 0}),
                     "linux.resources.cpu.quota: -5 is below the least allowed, -1"),
    "uid 2^32": (_set("process.user.uid", 2**32),
                 "process.user.uid: 4294967296 is above the most allowed, 4294967295"),
    "gid as a name": (_set("process.user.gid", "root"),
                      "process.user.gid: must be an integer, not a string ('root')"),
    "relative cwd": (_set("process.cwd", "tmp"), "process.cwd: 'tmp' must be an absolute path"),
    "env entry without =": (_set("process.env", ["PATH=/bin", "NOEQUALS"]),
                            "process.env[1]: 'NOEQUALS' is not KEY=VALUE"),
    "ociVersion 99.0": (_set("ociVersion", "99.0"),
                        "ociVersion: '99.0' is not supported (runu implements runtime-spec 1.x)"),
    "soft rlimit above hard": (_set("process.rlimits", [{"type": "RLIMIT_NOFILE", "soft": 10, "hard": 5}]),
                               "process.rlimits[0]: soft limit 10 is above the hard limit 5"),
    "unknown capability": (_set("process.capabilities", {"bounding": ["CAP_FLY"]}),
                           "process.capabilities.bounding[0]: unknown capability 'CAP_FLY'"),
    "no process": (_set("process", None), "process: is required"),
}


@pytest.mark.parametrize("case", REFUSED)
def test_refused_in_one_line_naming_the_field(runu, make_bundle, case):
    edit, message = REFUSED[case]
    result = runu("run", "--bundle", str(make_bundle(["true"], edit=edit)), "c1", check=False)
    assert result.returncode == 1
    lines = result.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"runu: {message}")
    assert runu("list", "-q").stdout == b""


def test_a_1000_character_id_is_refused_as_an_id(runu, make_bundle):
    result = runu("create", "--bundle", str(make_bundle(["true"])), "c" * 1000, check=False)
    assert (result.returncode, result.stderr) == (1, b"runu: invalid container id: 1000 characters (at most 255)\n")


def _join_pid_1s_network_namespace(spec: dict) -> None:
    spec["linux"]["namespaces"][1] = {"type": "network", "path": "/proc/1/ns/net"}


def test_joining_pid_1s_network_namespace_is_never_called_missing(runu, make_bundle):
    """/proc/1/ns/net exists: refused as the host's, or as unreadable, never as "does not exist"."""
    result = runu("run", "--bundle", str(make_bundle(["true"], edit=_join_pid_1s_network_namespace)), "c1",
                  check=False)
    line = result.stderr.decode().strip()
    assert result.returncode == 1 and "\n" not in line
    assert line in ("runu: network namespace /proc/1/ns/net: Permission denied",
                    "runu: host networking is not supported: a runu container has its own kernel and network "
                    "stack and cannot share the host's (docker: use a bridge network or --network none); "
                    "/proc/1/ns/net is the host's network namespace")


# Runs a command as a subreaper: whatever the command leaves running, or ended but unreaped,
# becomes this script's child when the command exits. Prints how many there are.
_ORPHANS_OF = """
import ctypes, os, subprocess, sys
assert ctypes.CDLL(None).prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
orphans = 0
try:
    while os.waitpid(-1, 0):
        orphans += 1
except ChildProcessError:
    print(orphans)
"""


def test_a_refused_create_leaves_no_process_even_for_a_moment(runu, make_bundle, tmp_path):
    """create's helpers end before it does (the front's cgroup lock warmer, its child, used
    to run on for a few ms after a refused create: long enough for a caller to see it)."""
    bundle = make_bundle(["true"], edit=_join_pid_1s_network_namespace)
    create = [RUNU, "--root", str(runu.root), "create", "--bundle", str(bundle), "c1"]
    result = subprocess.run([sys.executable, "-c", _ORPHANS_OF, *create], capture_output=True, timeout=60)
    assert result.stdout == b"0\n", result.stderr


def test_ten_thousand_args_reach_the_process(runu, make_bundle):
    args = ["sh", "-c", 'echo $# "${10000}"', "sh", *(f"a{i}" for i in range(10_000))]
    assert runu("run", "--bundle", str(make_bundle(args)), "c1").stdout == b"10000 a9999\n"


def test_ten_thousand_env_entries_reach_the_process(runu, make_bundle):
    bundle = make_bundle(["sh", "-c", "env | grep -c ^V; echo $V9999"],
                         edit=lambda s: s["process"]["env"].extend(f"V{i}=v{i}" for i in range(10_000)))
    assert runu("run", "--bundle", str(bundle), "c1").stdout == b"10000\nv9999\n"


def test_a_resource_runu_cannot_bound_runs_with_a_warning(runu, make_bundle):
    bundle = make_bundle(["true"], edit=_set("linux.resources.cpu.realtimeRuntime", 950000))
    result = runu("run", "--bundle", str(bundle), "c1")
    assert result.stderr == b"runu: warning: linux.resources.cpu.realtimeRuntime is not enforced by runu\n"


@pytest.mark.parametrize("phase", ["poststart", "poststop"])
def test_a_failing_hook_after_start_is_a_warning_on_stderr_and_in_the_log(runu, make_bundle, tmp_path, phase):
    log = tmp_path / "runu.log"
    bundle = make_bundle(["true"], edit=_hook(phase, path="/bin/sh", args=["sh", "-c", "exit 3"]))
    result = runu("--log", str(log), "run", "--bundle", str(bundle), "c1")
    assert result.returncode == 0
    warning = f"{phase} hook /bin/sh exited with 3"
    assert result.stderr.decode() == f"runu: warning: {warning}\n"
    assert f'level=warning msg="{warning}"' in log.read_text()


def _hook_sleepers(marker: str) -> list[int]:
    return [int(pid) for pid in filter(str.isdigit, os.listdir("/proc"))
            if marker.encode() in _cmdline(pid)]


def _cmdline(pid: str) -> bytes:
    try:
        return open(f"/proc/{pid}/cmdline", "rb").read()
    except OSError:
        return b""


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_a_hook_dies_with_the_runu_that_ran_it(runu, make_bundle, tmp_path, how):
    marker = str(tmp_path / "hook-sleep")
    os.symlink("/bin/sleep", marker)  # a name only this test's hook has
    bundle = make_bundle(["true"], edit=_hook("prestart", path=marker, args=[marker, "1000"]))
    run = subprocess.Popen([RUNU, "--root", str(runu.root), "run", "--bundle", str(bundle), "c1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _hook_sleepers(marker):
            assert time.monotonic() < deadline, "the hook never ran"
            time.sleep(0.05)
        run.send_signal(how)
        run.wait(timeout=10)
        deadline = time.monotonic() + 5
        while sleepers := [p for p in _hook_sleepers(marker) if is_alive(p, None)]:
            assert time.monotonic() < deadline, f"hook outlived runu: {sleepers}"
            time.sleep(0.05)
    finally:
        run.kill()
        run.wait()
        runu("delete", "--force", "c1", check=False)


def test_delete_force_returns_only_when_nothing_of_the_container_runs(runu, make_bundle, tmp_path):
    runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "1000"])), "c1")
    assert sandbox_processes(tmp_path), "the container never ran"
    runu("delete", "--force", "c1")
    assert not sandbox_processes(tmp_path)  # at once: no waiting here
