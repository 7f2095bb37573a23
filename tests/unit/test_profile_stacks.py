"""The profiler report reads py-spy's collapsed stacks: main thread only, inclusive time per frame."""

from benchmarks.profile import phases, stacks

RAW = """\
thread (0x1): MainThread;<module> (runu:6);main (runu/cli.py:123);run_hooks (runu/hooks.py:26) 30
thread (0x1): MainThread;<module> (runu:6);main (runu/cli.py:123);hand_to_guest (runu/netplumb.py:30) 10
thread (0x1): MainThread;<module> (runu:6);f (a.py:1);f (a.py:1) 5
thread (0x2): Thread-1 (import_module);import_module (importlib/__init__.py:126) 200
"""

SINGLE_THREADED = "thread (77);<module> (runu:6);main (runu/cli.py:123) 7\n"


def test_main_thread_time_per_frame_counts_each_sample_once(tmp_path):
    (tmp_path / "create-1.txt").write_text(RAW)
    (tmp_path / "create-2.txt").write_text(RAW)
    wall_ms, per_frame = stacks.inclusive_ms(sorted(tmp_path.glob("*.txt")), rate_hz=1000)
    assert wall_ms == 45  # per profile; the other thread's 200 samples are not the main thread's
    assert per_frame["main (runu/cli.py:123)"] == 40
    assert per_frame["f (a.py:1)"] == 5  # recursion is not counted twice
    assert "import_module (importlib/__init__.py:126)" not in per_frame
    assert [f for f, _ in stacks.project_frames(per_frame, top=2)] == [
        "run_hooks (runu/hooks.py:26)", "hand_to_guest (runu/netplumb.py:30)"]


def test_a_lone_main_thread_carries_no_name(tmp_path):
    (tmp_path / "create-1.txt").write_text(SINGLE_THREADED)
    wall_ms, per_frame = stacks.inclusive_ms([tmp_path / "create-1.txt"], rate_hz=1000)
    assert wall_ms == 7 and per_frame["main (runu/cli.py:123)"] == 7


def test_phases_split_a_run_between_runu_events():
    events = {"created": 10.25, "ready": 10.28, "started": 10.30}
    assert phases.split(10.0, events, 10.5) == {
        "docker run to created": 250.0, "created to guest ready": 30.0,
        "guest ready to started": 20.0, "started to greeting": 200.0}


def test_event_times_read_runu_nanosecond_stamps():
    assert phases._seconds("2026-11-22T06:08:11.636454105Z") == 1795327691.636454
