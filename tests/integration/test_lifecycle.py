"""create / start / state / kill / delete, as containerd's shim drives them, with hooks."""

import contextlib
import json
import os
import shutil
import subprocess
import time

from runu import idrange
from runu.cgroup import Cgroup
from tests.conftest import RUNU


def hook(tmp_path, name, log):
    """A hook script that appends its name and the state's status to `log`."""
    script = tmp_path / f"hook-{name}"
    script.write_text(f'#!/bin/sh\nstatus=$(sed -n \'s/.*"status": *"\\([a-z]*\\)".*/\\1/p\')\n'
                      f'echo "{name} $status" >> {log}\n')
    script.chmod(0o755)
    return {"path": str(script)}


PHASES = ("prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop")


def wait_status(runu, cid, status, seconds=10):
    deadline = time.monotonic() + seconds
    while runu.state(cid)["status"] != status:
        assert time.monotonic() < deadline, f"{cid} never became {status}"
        time.sleep(0.02)


def test_full_lifecycle_with_hooks_in_order(runu, make_bundle, tmp_path):
    log = tmp_path / "hooks.log"
    bundle = make_bundle(["sleep", "1000"],
                         edit=lambda s: s.update(hooks={p: [hook(tmp_path, p, log)] for p in PHASES}))
    pid_file = tmp_path / "pid"
    runu("create", "--bundle", str(bundle), "--pid-file", str(pid_file), "c1")
    state = runu.state("c1")
    assert state["status"] == "created"
    assert state["pid"] == int(pid_file.read_text()) > 0
    assert state["bundle"] == str(bundle)

    runu("start", "c1")
    assert runu.state("c1")["status"] == "running"

    runu("kill", "c1", "KILL")
    wait_status(runu, "c1", "stopped")
    runu("delete", "c1")
    assert runu("state", "c1", check=False).returncode == 1
    assert log.read_text().split("\n")[:-1] == [
        "prestart creating", "createRuntime creating", "createContainer creating",
        "startContainer created", "poststart running", "poststop stopped",
    ]


def test_sigterm_reaches_a_process_that_traps_it(runu, make_bundle, tmp_path):
    bundle = make_bundle(["sh", "-c", "trap 'echo bye; exit 3' TERM; echo up; while :; do sleep 0.1; done"])
    out = tmp_path / "out"
    with out.open("wb") as stdout:
        runu("create", "--bundle", str(bundle), "c1", stdout=stdout)
    runu("start", "c1")
    deadline = time.monotonic() + 10
    while b"up" not in out.read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    runu("kill", "c1", "TERM")
    wait_status(runu, "c1", "stopped")
    assert out.read_bytes() == b"up\nbye\n"
    runu("delete", "c1")


def test_kill_all_and_signal_numbers(runu, make_bundle):
    bundle = make_bundle(["sleep", "1000"])
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    assert runu.state("c1")["status"] == "running"
    runu("kill", "--all", "c1", "9")
    wait_status(runu, "c1", "stopped")
    runu("delete", "c1")


def test_delete_of_a_running_container_needs_force(runu, make_bundle):
    bundle = make_bundle(["sleep", "1000"])
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    refused = runu("delete", "c1", check=False)
    assert refused.returncode == 1 and b"not stopped" in refused.stderr
    runu("delete", "--force", "c1")
    assert runu("list", "-q").stdout == b""


def test_failing_hook_fails_create_and_leaves_nothing(runu, make_bundle, tmp_path):
    bad = tmp_path / "bad-hook"
    bad.write_text("#!/bin/sh\necho nope >&2\nexit 3\n")
    bad.chmod(0o755)
    bundle = make_bundle(["true"], edit=lambda s: s.update(hooks={"createRuntime": [{"path": str(bad)}]}))
    result = runu("create", "--bundle", str(bundle), "c1", check=False)
    assert result.returncode == 1
    assert result.stderr.decode().strip().endswith("exited with 3: nope")
    assert runu("list", "-q").stdout == b""


def test_a_hook_that_cannot_run_fails_create_in_one_line(runu, make_bundle, tmp_path):
    missing = tmp_path / "no-such-hook"
    bundle = make_bundle(["true"], edit=lambda s: s.update(hooks={"prestart": [{"path": str(missing)}]}))
    result = runu("create", "--bundle", str(bundle), "c1", check=False)
    assert (result.returncode, result.stderr.decode()) == (1, f"runu: prestart hook {missing}: No such file or directory\n")
    assert runu("list", "-q").stdout == b""


def test_a_hook_reads_a_state_larger_than_a_pipe_holds_and_may_ignore_it(runu, make_bundle, tmp_path):
    seen = tmp_path / "seen"
    reader = tmp_path / "reader-hook"
    reader.write_text(f"#!/bin/sh\nwc -c > {seen}\n")
    reader.chmod(0o755)
    big = {f"org.example.{i}": "x" * 100 for i in range(2000)}  # about 240 KB of state
    bundle = make_bundle(["true"], edit=lambda s: s.update(annotations=big, hooks={
        "prestart": [{"path": str(reader)}, {"path": "/bin/true"}]}))
    runu("create", "--bundle", str(bundle), "c1")
    assert int(seen.read_text()) > 200_000
    runu("delete", "--force", "c1")


def test_hook_timeout_is_honoured(runu, make_bundle, tmp_path):
    slow = tmp_path / "slow-hook"
    slow.write_text("#!/bin/sh\nsleep 30\n")
    slow.chmod(0o755)
    bundle = make_bundle(["true"], edit=lambda s: s.update(hooks={"prestart": [{"path": str(slow), "timeout": 1}]}))
    started = time.monotonic()
    result = runu("create", "--bundle", str(bundle), "c1", check=False)
    assert result.returncode == 1 and b"timed out" in result.stderr
    assert time.monotonic() - started < 10


def test_list_and_ps(runu, make_bundle):
    bundle = make_bundle(["sleep", "1000"])
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    listed = json.loads(runu("list", "--format", "json").stdout)
    assert [(c["id"], c["status"]) for c in listed] == [("c1", "running")]
    pids = json.loads(runu("ps", "--format", "json", "c1").stdout)
    assert runu.state("c1")["pid"] in pids
    assert all(os.path.exists(f"/proc/{p}") for p in pids)
    runu("delete", "--force", "c1")


@contextlib.contextmanager
def events_follower(runu, cid):
    """`runu events CID` in the background, ended by pid however the test ends."""
    follower = subprocess.Popen([RUNU, "--root", str(runu.root), "events", cid],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield follower
    finally:
        if follower.poll() is None:
            follower.kill()
        follower.communicate()


def test_events_follow_the_lifecycle_and_end_at_delete(runu, make_bundle):
    bundle = make_bundle(["sleep", "1000"])
    runu("run", "--detach", "--bundle", str(bundle), "c1")
    with events_follower(runu, "c1") as follower:
        runu("kill", "c1", "KILL")
        wait_status(runu, "c1", "stopped")
        runu("delete", "c1")
        out, err = follower.communicate(timeout=10)
    lines = [json.loads(line) for line in out.splitlines()]
    # The guest's "ready" may come before or after "started" (start does not wait for the boot).
    assert [e["event"] for e in lines] in (["created", "ready", "started", "stopped", "deleted"],
                                           ["created", "started", "ready", "stopped", "deleted"])
    assert {e["id"] for e in lines} == {"c1"}
    assert all(e["time"].endswith("Z") and e["time"][10] == "T" for e in lines)
    # As runc: following a container that went away is an error, not a silent end.
    assert follower.returncode == 1
    assert err == "runu: container c1 was deleted\n"


def test_events_of_an_unknown_id_fail_at_once(runu, make_bundle):
    runu("run", "--detach", "--bundle", str(make_bundle(["sleep", "1000"])), "other")
    with events_follower(runu, "nosuch") as follower:
        out, err = follower.communicate(timeout=10)
    assert (follower.returncode, out) == (1, "")
    assert err == "runu: container nosuch does not exist\n"
    runu("delete", "--force", "other")


def test_events_end_when_the_state_vanishes_without_a_deleted_line(runu, make_bundle):
    """A container removed behind runu's back (its state directory gone) ends the follower."""
    runu("create", "--bundle", str(make_bundle(["true"])), "c1")
    with events_follower(runu, "c1") as follower:
        assert json.loads(follower.stdout.readline())["event"] == "created"  # it follows c1 now
        os.kill(runu.state("c1")["pid"], 9)
        facts = json.loads((runu.root / "c1" / "state.json").read_text())["runtime"]
        shutil.rmtree(runu.root / "c1")
        out, err = follower.communicate(timeout=10)
    # What delete would have done: the test removed the state behind runu's back.
    Cgroup(facts["cgroup"]).remove()
    idrange.release(facts["host_ids"])
    # The guest booted at create (it may have said ready), and its end was seen: no "deleted".
    assert [json.loads(line)["event"] for line in out.splitlines()] in (["stopped"], ["ready", "stopped"])
    assert (follower.returncode, err) == (1, "runu: container c1 was deleted\n")
