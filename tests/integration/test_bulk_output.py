"""Bulk output of `runu run`: what the process writes arrives byte for byte on the caller's
stdout and stderr, kept apart (or in order, when the caller's are one file), through a
terminal too, and the exit status comes only after the last byte. The process writes to
pipes, as under runc: its stdout is no terminal unless it asked for one."""

import hashlib
import os
import random
import subprocess

import pytest

from tests.conftest import RUNU
from tests.integration.console_pty import read_until_closed, run_with_console

BULK = 50_000_000  # bytes: the 50 MB


@pytest.fixture(scope="module")
def blobs() -> dict[str, bytes]:
    """Known content with every byte value (a seeded generator): 50 MB for stdout, 5 MB for stderr."""
    gen = random.Random(18)
    return {"out.bin": gen.randbytes(BULK), "err.bin": gen.randbytes(BULK // 10)}


@pytest.fixture
def bulk_bundle(make_bundle, blobs):
    """make_bundle(args) with the blobs at the rootfs's top."""
    def make(args, terminal=False):
        bundle = make_bundle(args, terminal=terminal)
        for name, data in blobs.items():
            (bundle / "rootfs" / name).write_bytes(data)
        return bundle

    return make


def digest(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"


def test_bulk_stdout_and_stderr_arrive_intact_and_apart(runu, bulk_bundle, blobs):
    bundle = bulk_bundle(["sh", "-c", "cat /out.bin; cat /err.bin >&2; cat /out.bin >&2; exit 7"])
    run = subprocess.Popen([RUNU, "--root", str(runu.root), "run", "--bundle", str(bundle), "c1"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = run.communicate(timeout=300)
    assert run.returncode == 7
    assert digest(out) == digest(blobs["out.bin"])
    assert digest(err) == digest(blobs["err.bin"] + blobs["out.bin"])


def test_the_exit_status_comes_after_the_last_byte(runu, bulk_bundle, blobs):
    """Into files: once runu has exited with the status, every byte is there already."""
    bundle = bulk_bundle(["sh", "-c", "cat /out.bin; cat /err.bin >&2; exit 3"])
    result = runu("run", "--bundle", str(bundle), "c1", check=False, timeout=300, stdin=subprocess.DEVNULL)
    assert result.returncode == 3
    assert digest(result.stdout) == digest(blobs["out.bin"])
    assert digest(result.stderr) == digest(blobs["err.bin"])


def test_stdout_and_stderr_into_one_file_keep_their_order(runu, make_bundle, tmp_path):
    """`runu run ... >f 2>&1`, as `runc run` would write it: every line where it was written."""
    script = "for i in $(seq 1 2000); do echo out$i; echo err$i >&2; done; echo last >&2"
    bundle = make_bundle(["sh", "-c", script])
    with open(tmp_path / "both", "w+b") as both:
        result = runu("run", "--bundle", str(bundle), "c1", stdin=subprocess.DEVNULL, stdout=both, stderr=both)
        both.seek(0)
        text = both.read().decode()
    assert result.returncode == 0
    assert text == "".join(f"out{i}\nerr{i}\n" for i in range(1, 2001)) + "last\n"


def test_the_process_writes_to_pipes_as_under_runc(runu, make_bundle):
    """Not to a terminal: C stdio and language runtimes buffer as they do under runc."""
    bundle = make_bundle(["sh", "-c", "[ -t 1 ] || echo out-is-no-terminal; [ -t 2 ] || echo err-is-no-terminal"])
    assert runu("run", "--bundle", str(bundle), "c1", stdin=subprocess.DEVNULL).stdout == (
        b"out-is-no-terminal\nerr-is-no-terminal\n")


def run_in_terminal(runu, bundle, tmp_path) -> tuple[bytes, int]:
    """`runu run --console-socket` of the bundle: all it wrote on the terminal, and its exit code."""
    run, master = run_with_console(runu.root, bundle, tmp_path / "console.sock")
    try:
        return read_until_closed(master), run.wait(60)
    finally:
        os.close(master)
        if run.poll() is None:
            run.kill()
            run.wait()


def test_bulk_output_through_a_terminal_arrives_intact(runu, bulk_bundle, blobs, tmp_path):
    """A terminal's output processing turns each "\\n" into "\\r\\n", as runc's does; nothing
    else changes and nothing stalls."""
    out, code = run_in_terminal(runu, bulk_bundle(["sh", "-c", "cat /out.bin; exit 5"], terminal=True), tmp_path)
    assert code == 5
    assert digest(out) == digest(blobs["out.bin"].replace(b"\n", b"\r\n"))


def test_a_terminal_keeps_what_the_process_wrote_just_before_it_exited(runu, make_bundle, tmp_path):
    """The guest hangs up a terminal whose session leader exits, with output still on its
    way to the host (a pty that was full a moment before): all of it arrives, run after run."""
    bundle = make_bundle(["sh", "-c", "head -c 5000000 /dev/zero"], terminal=True)
    for attempt in range(6):
        out, code = run_in_terminal(runu, bundle, tmp_path)
        assert (attempt, code, len(out)) == (attempt, 0, 5000000)
