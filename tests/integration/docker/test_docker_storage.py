"""Storage a user asks for with -v, --tmpfs and -m, seen from inside the guest."""

import re


def test_host_bind_mounts_read_write_and_read_only(docker_each_kind, tmp_path):
    docker = docker_each_kind
    ro, rw = tmp_path / "ro", tmp_path / "rw"
    ro.mkdir()
    rw.mkdir()
    (ro / "msg").write_text("hello from the host\n")
    r = docker.run(["sh", "-c", "cat /ro/msg && echo written > /rw/result && ! touch /ro/new 2>/dev/null"],
                   volumes={str(ro): {"bind": "/ro", "mode": "ro"}, str(rw): {"bind": "/rw", "mode": "rw"}})
    assert (r.code, r.stdout) == (0, "hello from the host\n"), r.stderr
    assert (rw / "result").read_text() == "written\n"
    assert not (ro / "new").exists()


def test_named_volume_outlives_its_writer_and_can_be_read_only(docker):
    volume = docker.volume()
    writer = docker.run(["sh", "-c", "echo kept > /data/file"], volumes={volume.name: {"bind": "/data", "mode": "rw"}})
    assert writer.code == 0, writer.stderr
    reader = docker.run(["sh", "-c", "cat /data/file && ! touch /data/other 2>/dev/null"],
                        volumes={volume.name: {"bind": "/data", "mode": "ro"}})
    assert (reader.code, reader.stdout) == (0, "kept\n"), reader.stderr


def test_tmpfs_is_a_writable_tmpfs_of_the_asked_size(docker):
    r = docker.run(["sh", "-c", "grep ' /scratch ' /proc/mounts; echo x > /scratch/f && df -k /scratch | tail -1"],
                   tmpfs={"/scratch": "size=16m"})
    mount_line, df_line = r.stdout.splitlines()
    assert mount_line.split()[:3] == ["tmpfs", "/scratch", "tmpfs"]
    assert df_line.split()[1] == str(16 * 1024)


def test_memory_limit_becomes_the_guest_memory(docker_each_kind):
    docker = docker_each_kind
    r = docker.run(["grep", "MemTotal", "/proc/meminfo"], mem_limit="400m")
    total_kib = int(re.search(r"MemTotal:\s+(\d+) kB", r.stdout).group(1))
    assert 300 * 1024 < total_kib <= 400 * 1024, r.stdout


def test_a_symlink_in_a_volume_resolves_inside_the_guest_not_on_the_host(docker_each_kind, tmp_path):
    secret = tmp_path / "host-only"
    secret.write_text("host secret\n")
    volume = tmp_path / "vol"
    volume.mkdir()
    (volume / "link").symlink_to(secret)
    result = docker_each_kind.run(["sh", "-c", "cat /vol/link; cat /vol/../../../../" + str(secret)],
                                  volumes={str(volume): {"bind": "/vol", "mode": "rw"}})
    assert "host secret" not in result.stdout
    assert result.code != 0
