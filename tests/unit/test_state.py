"""State store: ids, duplicates, atomic saves, and status corrected by the process."""

import os
import threading

import pytest

from runu.errors import RunuError
from runu.state import CREATED, RUNNING, STOPPED, State, StateStore
from runu.process import start_time


def test_new_then_duplicate(tmp_path):
    store = StateStore(tmp_path)
    with store.new("a"):
        pass
    with pytest.raises(RunuError, match="already exists"):
        store.new("a")


@pytest.mark.parametrize("bad", ["", ".", "..", "a/b", "x y"])
def test_invalid_ids(tmp_path, bad):
    with pytest.raises(RunuError, match="invalid container id"):
        StateStore(tmp_path).new(bad)


def test_status_follows_the_process(tmp_path):
    store = StateStore(tmp_path)
    with store.new("a") as cdir:
        cdir.save(State(id="a", bundle="/b", status=RUNNING, pid=os.getpid(), pid_start=start_time(os.getpid())))
    with store.open("a") as cdir:
        assert cdir.load().current_status() == RUNNING
        # Same pid, different start time: the pid was reused, the container is gone.
        cdir.save(State(id="a", bundle="/b", status=CREATED, pid=os.getpid(), pid_start=1))
        assert cdir.load().current_status() == STOPPED


def test_concurrent_saves_never_tear(tmp_path):
    store = StateStore(tmp_path)
    with store.new("a") as cdir:
        cdir.save(State(id="a", bundle="/b"))
    errors = []

    def writer(n):
        try:
            for i in range(50):
                with store.open("a") as c:
                    state = c.load()  # a torn file would not parse here
                    state.annotations[f"{n}-{i}"] = "x"
                    c.save(state)
        except Exception as e:  # collected: an exception in a thread would otherwise pass unseen
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    with store.open("a") as cdir:
        assert len(cdir.load().annotations) == 200


def test_open_of_unknown_id(tmp_path):
    with pytest.raises(RunuError, match="does not exist"):
        StateStore(tmp_path).open("nope")
