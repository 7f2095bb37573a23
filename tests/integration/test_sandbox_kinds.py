"""A sandbox kind plugs in behind SandboxKind alone: a throwaway kind registered here runs a
container through create, start, state and delete with no change to the verbs or the lifecycle."""

import time
from pathlib import Path

import pytest

from runu import sandbox as kinds
from runu.container import Runtime
from runu.errors import RunuError
from runu.log import RuntimeLog
from runu.sandbox.base import RootBind, SandboxKind
from runu.spec import ANNOTATION_SANDBOX


@kinds.register
class BusyboxKind(SandboxKind):
    """Throwaway: no kernel at all, busybox's sh run straight in the sandbox root."""

    name = "test-busybox"

    def prepare(self, spec, facts):
        facts.kernel = "none"
        return [RootBind("/bin/busybox", "busybox")]  # busybox picks its applet by its own name

    def channels(self, container_dir):
        return {}

    def launch_argv(self, spec, facts):
        return ["/busybox", "sh", "-c", "echo made by $0 > /rootfs/out", self.name]

    def release(self, container_dir, is_running, networked):
        pass  # its program ran at launch (create): a throwaway kind need not wait for start

    def guest_network(self, plan):
        raise RunuError("this kind takes no network")

    def signal(self, container_dir, is_running, signum, all_processes):
        raise RunuError("this kind takes no signals")


def test_a_registered_kind_runs_a_container_through_the_unchanged_verbs(make_bundle, tmp_path):
    bundle = make_bundle(["true"], edit=lambda s: s.setdefault("annotations", {}).update(
        {ANNOTATION_SANDBOX: BusyboxKind.name}))
    runtime = Runtime(tmp_path / "state", RuntimeLog(None))
    state = runtime.create("c1", bundle)
    assert state.facts.sandbox == "test-busybox"
    runtime.start("c1")
    deadline = time.monotonic() + 10
    while runtime.state("c1").current_status() != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    runtime.delete("c1")
    assert (bundle / "rootfs" / "out").read_text() == "made by test-busybox\n"


def test_an_unknown_kind_lists_the_known_ones():
    with pytest.raises(RunuError) as refused:
        kinds.lookup("no-such-kind")
    assert str(refused.value) == f"unknown sandbox kind 'no-such-kind' (known: {', '.join(kinds.known())})"
    assert {"uml", "test-busybox"} <= set(kinds.known())


def test_the_default_kind_is_the_one_registered_as_default():
    assert kinds.default_kind() == "uml"
    assert Path(kinds.__file__).read_text().count('"uml"') == 0  # the registry names no kind
