"""The `runu` command's C front end (ext/runu-front.c): state, start and kill served without
Python, with the same answers as the Python CLI; everything else handed to it unchanged.

A copy of the front end alone in a directory (no runu-py beside it) can only answer what it
serves itself: that is how these tests tell the C path from the Python one."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import RUNU, processes_naming
from tests.integration.test_lifecycle import wait_status

PYTHON_CLI = str(Path(sys.executable).parent / "runu-py")


@pytest.fixture
def front_end_alone(tmp_path, runu):
    """run(*args) -> CompletedProcess of a front end that cannot hand anything on."""
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(RUNU, alone / "runu")

    def run(*args):
        return subprocess.run([str(alone / "runu"), "--root", str(runu.root), *args], capture_output=True,
                              timeout=60)

    return run


def python_state(runu, cid: str) -> dict:
    done = subprocess.run([PYTHON_CLI, "--root", str(runu.root), "state", cid], capture_output=True, check=True)
    return json.loads(done.stdout)


def served_state(front_end_alone, cid: str) -> dict:
    done = front_end_alone("state", cid)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for(path: Path, text: bytes, seconds=15):
    deadline = time.monotonic() + seconds
    while text not in path.read_bytes():
        assert time.monotonic() < deadline, f"{text!r} never came: {path.read_bytes()!r}"
        time.sleep(0.02)


def test_state_is_the_python_clis_in_every_status(runu, make_bundle, front_end_alone):
    annotations = {"org.example.owner": "tenant-7", "org.example.note": "caf\u00e9"}
    bundle = make_bundle(["sleep", "1000"], edit=lambda s: s.update(annotations=annotations))
    runu("create", "--bundle", str(bundle), "c1")
    seen = {}
    for step in ("create", "start", "pause", "resume", "kill"):
        if step == "start":
            runu("start", "c1")
        elif step in ("pause", "resume"):
            runu(step, "c1")
        elif step == "kill":
            runu("kill", "c1", "9")
            wait_status(runu, "c1", "stopped")
        state = served_state(front_end_alone, "c1")
        assert state == python_state(runu, "c1"), step
        seen[state["status"]] = state
    assert list(seen) == ["created", "running", "paused", "stopped"]
    assert seen["running"]["pid"] > 0 and seen["stopped"]["pid"] == 0
    assert seen["created"]["annotations"] == annotations


def test_start_and_kill_are_served_without_python(runu, make_bundle, front_end_alone, tmp_path):
    bundle = make_bundle(["sh", "-c", "trap 'echo bye; exit 7' TERM; echo up; while :; do sleep 0.1; done"])
    out = tmp_path / "out"
    with out.open("wb") as stdout:
        runu("create", "--bundle", str(bundle), "c1", stdout=stdout)
    started = front_end_alone("start", "c1")
    assert started.returncode == 0, started.stderr
    wait_for(out, b"up\n")
    assert python_state(runu, "c1")["status"] == "running"
    killed = front_end_alone("kill", "c1", "15")
    assert killed.returncode == 0, killed.stderr
    wait_status(runu, "c1", "stopped")
    assert out.read_bytes() == b"up\nbye\n"
    events = [json.loads(line) for line in (runu.root / "events.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events if e["id"] == "c1"] in (["created", "ready", "started", "stopped"],
                                                              ["created", "started", "ready", "stopped"])
    runu("delete", "c1")


def test_what_it_does_not_serve_goes_to_python(runu, make_bundle, front_end_alone, tmp_path):
    """Errors, names of signals and hooks are the Python CLI's: through the real `runu` they get
    its answers; the lone front end says plainly that it cannot give them."""
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\necho poststart >> {log}\n")
    hook.chmod(0o755)
    bundle = make_bundle(["sleep", "1000"], edit=lambda s: s.update(hooks={"poststart": [{"path": str(hook)}]}))
    runu("create", "--bundle", str(bundle), "c1")

    alone = front_end_alone("start", "c1")
    assert alone.returncode == 1
    assert alone.stderr.decode().count("\n") == 1 and "runu-py: No such file or directory" in alone.stderr.decode()
    runu("start", "c1")
    assert log.read_text() == "poststart\n"

    again = runu("start", "c1", check=False)
    assert (again.returncode, again.stderr) == (1, b"runu: cannot start container c1: it is running\n")
    missing = runu("state", "nosuch", check=False)
    assert (missing.returncode, missing.stderr) == (1, b"runu: container nosuch does not exist\n")
    assert front_end_alone("kill", "c1", "KILL").returncode == 1  # a name: Python's table
    runu("kill", "c1", "KILL")
    wait_status(runu, "c1", "stopped")
    stopped = runu("kill", "c1", "15", check=False)
    assert (stopped.returncode, stopped.stderr) == (1, b"runu: container not running\n")
    runu("delete", "c1")
    assert os.listdir(runu.root) == ["events.jsonl"]


def test_delete_is_served_without_python_and_leaves_nothing(runu, make_bundle, front_end_alone):
    runu("create", "--bundle", str(make_bundle(["sleep", "1000"])), "c1")
    runu("start", "c1")
    runu("create", "--bundle", str(make_bundle(["sh", "-c", "exit 3"])), "c2")
    runu("start", "c2")
    wait_status(runu, "c2", "stopped")
    cgroups = [Path(d) for cid in ("c1", "c2")
               for d in json.loads((runu.root / cid / "state.json").read_text())["runtime"]["cgroup"].values()]
    assert cgroups and all(d.is_dir() for d in cgroups)

    running = front_end_alone("delete", "c1")
    assert running.returncode == 1  # running without --force: Python's error to give
    for args in (("c2",), ("--force", "c1")):
        done = front_end_alone("delete", *args)
        assert done.returncode == 0, done.stderr
    assert os.listdir(runu.root) == ["events.jsonl"]
    assert not [d for d in cgroups if d.exists()]
    events = [json.loads(line) for line in (runu.root / "events.jsonl").read_text().splitlines()]
    assert [e["id"] for e in events if e["event"] == "deleted"] == ["c2", "c1"]
    gone = runu("delete", "c1", check=False)
    assert (gone.returncode, gone.stderr) == (1, b"runu: container c1 does not exist\n")


def test_a_delete_with_a_poststop_hook_is_pythons(runu, make_bundle, front_end_alone, tmp_path):
    log = tmp_path / "hooks.log"
    hook = tmp_path / "hook"
    hook.write_text(f"#!/bin/sh\necho poststop >> {log}\n")
    hook.chmod(0o755)
    bundle = make_bundle(["true"], edit=lambda s: s.update(hooks={"poststop": [{"path": str(hook)}]}))
    runu("create", "--bundle", str(bundle), "c1")
    runu("start", "c1")
    wait_status(runu, "c1", "stopped")
    assert front_end_alone("delete", "c1").returncode == 1
    runu("delete", "c1")
    assert log.read_text() == "poststop\n"
    assert os.listdir(runu.root) == ["events.jsonl"]


def test_creates_helper_ends_with_create(runu, make_bundle):
    """The front end's helper for create (it keeps the kernel's cgroup migration lock ready while
    Python starts) ends with the create it helps, well before its own time limit (200 ms)."""
    bundle = make_bundle(["sleep", "1000"])
    runu("create", "--bundle", str(bundle), "c1")
    deadline = time.monotonic() + 0.1
    while helpers := {pid: cmd for pid, cmd in processes_naming(runu.root).items() if " create " in f" {cmd} "}:
        assert time.monotonic() < deadline, f"create's helper outlives it: {helpers}"
        time.sleep(0.005)
