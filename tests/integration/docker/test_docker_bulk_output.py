"""Bulk output under Docker: 50 MB of known content (every byte value) arrives byte for byte
on `docker run`'s attached stdout, stderr kept apart, the exit status after it; and through
`-t`, where a terminal turns "\\n" into "\\r\\n" and changes nothing else."""

import hashlib
import random

import pytest

BULK = 50_000_000


@pytest.fixture(scope="module")
def blob_dir(tmp_path_factory):
    """A directory bound into the container at /blobs: out.bin (50 MB) and err.bin (5 MB)."""
    gen = random.Random(18)
    path = tmp_path_factory.mktemp("blobs")
    (path / "out.bin").write_bytes(gen.randbytes(BULK))
    (path / "err.bin").write_bytes(gen.randbytes(BULK // 10))
    return path


def digest(data: bytes) -> str:
    return f"{len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}"


def attached_run(docker, command, blob_dir, tty=False):
    """`docker run` with stdout and stderr attached from before the start: what each carried
    (stderr None with a terminal: one stream) and the exit code."""
    c = docker.create(command, tty=tty, volumes={str(blob_dir): {"bind": "/blobs", "mode": "ro"}})
    stream = c.attach(stdout=True, stderr=True, stream=True, demux=not tty)
    c.start()
    out, err = [], []
    for chunk in stream:
        if tty:
            out.append(chunk)
            continue
        if chunk[0]:
            out.append(chunk[0])
        if chunk[1]:
            err.append(chunk[1])
    code = c.wait(timeout=300)["StatusCode"]
    return b"".join(out), (None if tty else b"".join(err)), code


def test_bulk_output_arrives_intact_and_apart(docker, blob_dir):
    out, err, code = attached_run(docker, ["sh", "-c", "cat /blobs/out.bin; cat /blobs/err.bin >&2; exit 7"],
                                  blob_dir)
    assert code == 7
    assert digest(out) == digest((blob_dir / "out.bin").read_bytes())
    assert digest(err) == digest((blob_dir / "err.bin").read_bytes())


def test_bulk_output_through_a_terminal_arrives_intact(docker, blob_dir):
    out, _, code = attached_run(docker, ["sh", "-c", "cat /blobs/out.bin; exit 5"], blob_dir, tty=True)
    assert code == 5
    assert digest(out) == digest((blob_dir / "out.bin").read_bytes().replace(b"\n", b"\r\n"))
