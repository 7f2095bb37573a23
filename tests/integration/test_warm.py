"""create served by a warm Python (runu/warm.py, ext/runu-warm.c): the first create of a context
starts the server, later ones are forked from it. What a caller sees must not change: the same
container, the same errors, its process still the caller's descendant, nothing left behind when
the caller is killed, no server left once idle, and no stale code served.

A prestart hook tells who ran create: it records its parent's command line (a worker carries its
server's, `runu-py warm SOCKET`; the CLI's names the verb)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from runu import warm
from tests.conftest import RUNU, processes_naming
from tests.integration.test_lifecycle import wait_status

pytestmark = pytest.mark.root
CAP_WAKE_ALARM = 35


def _parent_recorder(tmp_path: Path) -> tuple[dict, Path]:
    log = tmp_path / "creators"
    script = tmp_path / "record-creator"
    script.write_text(f"#!/bin/sh\ntr '\\0' ' ' < /proc/$PPID/cmdline >> {log}\necho >> {log}\n")
    script.chmod(0o755)
    return {"prestart": [{"path": str(script)}]}, log


def _creator(log: Path) -> str:
    return log.read_text().splitlines()[-1]


def _alive(pid: int) -> bool:
    """Not ended (an ended server may wait as a zombie for a parent that reaps late)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _server_pid(creator: str) -> int | None:
    """The live server whose command line is `creator`'s: its workers carry the same, and it is
    their parent."""
    if " warm " not in creator:
        return None
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode() == creator:
                found[int(pid)] = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
    servers = [pid for pid, parent in found.items() if parent not in found]
    return servers[0] if len(servers) == 1 else None


@pytest.fixture
def hooked_bundle(make_bundle, tmp_path):
    hooks, log = _parent_recorder(tmp_path)

    def make(args, edit=None):
        def with_hooks(spec):
            spec["hooks"] = hooks
            if edit:
                edit(spec)
        return make_bundle(args, edit=with_hooks)

    return make, log


def _create_until_warm(runu, bundle: Path, log: Path, prefix: str, env=None, tries=20) -> tuple[str, str]:
    """Create (and delete) containers until one is served warm: (its id, its creator's command
    line). The first create of a context starts the server; it is up within a few tries."""
    for i in range(tries):
        cid = f"{prefix}{i}"
        runu("create", "--bundle", str(bundle), cid, env=env)
        if " warm " in _creator(log):
            return cid, _creator(log)
        runu("delete", "--force", cid)
        time.sleep(0.2)
    raise AssertionError(f"no create was served warm: {log.read_text()}")


def test_a_warm_create_makes_the_same_container(runu, hooked_bundle, tmp_path):
    make, log = hooked_bundle
    bundle = make(["sh", "-c", "echo out from $(hostname); exit 5"])
    cid, creator = _create_until_warm(runu, bundle, log, "w")
    assert creator.split()[-2] == "warm" and creator.split()[-1].startswith("/run/runu-warm/")
    assert runu.state(cid)["status"] == "created"
    runu("start", cid)
    wait_status(runu, cid, "stopped")
    runu("delete", cid)
    cold = subprocess.run([str(Path(sys.executable).parent / "runu-py"), "--root", str(runu.root),
                           "create", "--bundle", str(bundle), "cold"], stdin=subprocess.DEVNULL,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # the container holds them
    assert cold.returncode == 0 and " warm " not in _creator(log)
    runu("delete", "--force", "cold")


def test_a_warm_create_fails_as_the_cli_does(runu, hooked_bundle, tmp_path):
    make, log = hooked_bundle
    bundle = make(["true"])
    cid, _ = _create_until_warm(runu, bundle, log, "w")
    again = runu("create", "--bundle", str(bundle), cid, check=False)
    assert (again.returncode, again.stderr.decode()) == (1, f"runu: container with id {cid} already exists\n")
    missing = runu("create", "--bundle", str(tmp_path / "nowhere"), "other", check=False)
    assert missing.returncode == 1 and missing.stderr.decode().count("\n") == 1
    assert b"nowhere" in missing.stderr
    runu("delete", "--force", cid)


def test_the_container_of_a_warm_create_descends_from_the_caller(runu, hooked_bundle, tmp_path):
    """As containerd's shim does: a subreaper calls create and start, then reaps the container's
    process and gets its exit status."""
    make, log = hooked_bundle
    bundle = make(["sh", "-c", "exit 7"])
    cid, _ = _create_until_warm(runu, bundle, log, "w")
    runu("delete", "--force", cid)
    caller = tmp_path / "caller.py"
    caller.write_text(f"""
import ctypes, json, os, subprocess
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
runu = [{str(RUNU)!r}, "--root", {str(runu.root)!r}]
subprocess.run([*runu, "create", "--bundle", {str(bundle)!r}, "c"], check=True)
pid = json.loads(subprocess.run([*runu, "state", "c"], check=True, capture_output=True).stdout)["pid"]
subprocess.run([*runu, "start", "c"], check=True)
while (reaped := os.wait())[0] != pid:  # the launcher's own children end first
    pass
print(pid, os.waitstatus_to_exitcode(reaped[1]))
""")
    done = subprocess.run([sys.executable, str(caller)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert " warm " in _creator(log)
    assert int(done.stdout.split()[1]) == 7
    runu("delete", "--force", "c")


def test_killing_the_caller_of_a_warm_create_leaves_nothing(runu, hooked_bundle, tmp_path):
    make, log = hooked_bundle
    _create_until_warm(runu, make(["true"]), log, "w")
    for cid in runu("list", "-q").stdout.decode().split():
        runu("delete", "--force", cid)
    begun = tmp_path / "begun"
    slow = tmp_path / "slow-hook"
    slow.write_text(f"#!/bin/sh\ntouch {begun}\nexec sleep 60\n")
    slow.chmod(0o755)
    bundle = make(["true"], edit=lambda s: s["hooks"]["prestart"].append({"path": str(slow)}))
    create = subprocess.Popen([str(RUNU), "--root", str(runu.root), "create", "--bundle", str(bundle), "k"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not begun.exists():
        assert create.poll() is None and time.monotonic() < deadline, "the slow hook never ran"
        time.sleep(0.02)
    assert " warm " in _creator(log)
    create.send_signal(signal.SIGKILL)
    create.wait()
    while processes_naming(tmp_path) or (runu.root / "k").exists():
        assert time.monotonic() < deadline, f"left: {processes_naming(tmp_path)}, {list(runu.root.iterdir())}"
        time.sleep(0.05)


def _wait_gone(server: int, socket: Path, problem: str) -> None:
    """Until the server has ended and its socket and lock are gone (10 s at most)."""
    deadline = time.monotonic() + 10
    while _alive(server) or socket.exists() or Path(f"{socket}.lock").exists():
        assert time.monotonic() < deadline, problem
        time.sleep(0.05)


def test_an_idle_server_ends_and_removes_its_socket(runu, hooked_bundle):
    make, log = hooked_bundle
    env = {**os.environ, "RUNU_WARM_IDLE": "0.5"}  # a RUNU_ variable: a server of its own
    cid, creator = _create_until_warm(runu, make(["true"]), log, "w", env=env)
    socket = Path(creator.split()[-1])
    server = _server_pid(creator)
    assert server and socket.exists()
    runu("delete", "--force", cid)
    _wait_gone(server, socket, "the idle server is still there")


def test_a_terminated_server_removes_its_socket(runu, hooked_bundle):
    make, log = hooked_bundle
    cid, creator = _create_until_warm(runu, make(["true"]), log, "w")
    runu("delete", "--force", cid)
    server, socket = _server_pid(creator), Path(creator.split()[-1])
    os.kill(server, signal.SIGTERM)
    _wait_gone(server, socket, "the terminated server left its socket")


def test_a_server_whose_code_changed_defers_and_ends(runu, hooked_bundle):
    make, log = hooked_bundle
    bundle = make(["true"])
    cid, creator = _create_until_warm(runu, bundle, log, "w")
    runu("delete", "--force", cid)
    old = _server_pid(creator)
    module = Path(warm.__file__)
    os.utime(module, ns=(time.time_ns(), time.time_ns()))  # what an edit or a reinstall does
    runu("create", "--bundle", str(bundle), "changed")
    assert " warm " not in _creator(log)
    runu("delete", "--force", "changed")
    assert not _alive(old)
    _, renewed = _create_until_warm(runu, bundle, log, "n")
    assert _server_pid(renewed) not in (None, old)
    for cid in runu("list", "-q").stdout.decode().split():
        runu("delete", "--force", cid)


def test_run_with_a_warm_create_forwards_signals_and_ends_with_the_containers_status(runu, hooked_bundle,
                                                                                       tmp_path):
    make, log = hooked_bundle
    cid, _ = _create_until_warm(runu, make(["true"]), log, "w")
    runu("delete", "--force", cid)
    bundle = make(["sh", "-c", "trap 'echo got TERM; exit 9' TERM; echo up; while :; do sleep 0.1; done"])
    out = tmp_path / "out"
    with out.open("wb") as stdout:
        run = subprocess.Popen([str(RUNU), "--root", str(runu.root), "run", "--bundle", str(bundle), "r"],
                               stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while b"up" not in out.read_bytes():
        assert run.poll() is None and time.monotonic() < deadline, out.read_bytes()
        time.sleep(0.02)
    assert " warm " in _creator(log)
    run.send_signal(signal.SIGTERM)
    assert run.wait(timeout=30) == 9
    assert out.read_bytes() == b"up\ngot TERM\n"
    assert runu("list", "-q").stdout == b""


def test_a_caller_with_fewer_capabilities_gets_a_server_of_its_own(runu, hooked_bundle):
    """A worker acts with its server's privileges: a caller that dropped one must not reach a
    server of a caller that kept it."""
    make, log = hooked_bundle
    bundle = make(["true"])
    cid, full = _create_until_warm(runu, bundle, log, "f")
    runu("delete", "--force", cid)
    runu.prefix = ["setpriv", "--bounding-set", "-wake_alarm"]
    cid, fewer = _create_until_warm(runu, bundle, log, "d")
    runu("delete", "--force", cid)
    assert fewer.split()[-1] != full.split()[-1]
    status = Path(f"/proc/{_server_pid(fewer)}/status").read_text()
    bounding = int(next(line for line in status.splitlines() if line.startswith("CapBnd:")).split()[1], 16)
    assert not bounding & 1 << CAP_WAKE_ALARM
