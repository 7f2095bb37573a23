"""Bind mounts through hostfs: ro stays ro, rw writes through, reads are the host's bytes,
nothing else is reachable."""

import hashlib
import os


def bind(source, dest, *options):
    return {"destination": dest, "type": "bind", "source": str(source), "options": ["rbind", *options]}


def test_readonly_bind_mount_is_readonly(runu, make_bundle, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "data").write_text("host data\n")
    bundle = make_bundle(["sh", "-c", "cat /mnt/data; echo x > /mnt/new && echo wrote || echo refused"],
                         edit=lambda s: s["mounts"].append(bind(shared, "/mnt", "ro")))
    result = runu("run", "--bundle", str(bundle), "c1")
    assert result.stdout == b"host data\nrefused\n"
    assert b"Read-only file system" in result.stderr
    assert not (shared / "new").exists()


def test_writable_bind_mount_writes_through(runu, make_bundle, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    bundle = make_bundle(["sh", "-c", "echo from guest > /mnt/out"],
                         edit=lambda s: s["mounts"].append(bind(shared, "/mnt", "rw")))
    runu("run", "--bundle", str(bundle), "c1")
    assert (shared / "out").read_text() == "from guest\n"


def test_a_large_host_file_reads_back_byte_for_byte(runu, make_bundle, tmp_path):
    """Small reads, 1 MiB reads (readahead batches of many pages) and a read at the unaligned
    end all return the host's bytes: none shifted, dropped or zeroed."""
    shared = tmp_path / "shared"
    shared.mkdir()
    blob = os.urandom((3 << 20) + 123)
    (shared / "blob").write_bytes(blob)
    script = ("sha256sum < /mnt/blob; dd if=/mnt/blob bs=1M 2>/dev/null | sha256sum; "
              "tail -c 5000 /mnt/blob | sha256sum")
    bundle = make_bundle(["sh", "-c", script], edit=lambda s: s["mounts"].append(bind(shared, "/mnt", "ro")))
    sums = [line.split()[0] for line in runu("run", "--bundle", str(bundle), "c1").stdout.decode().splitlines()]
    whole, tail = hashlib.sha256(blob).hexdigest(), hashlib.sha256(blob[-5000:]).hexdigest()
    assert sums == [whole, whole, tail]


def test_file_bind_mount(runu, make_bundle, tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("10.9.8.7 db\n")
    bundle = make_bundle(["cat", "/etc/hosts"], edit=lambda s: s["mounts"].append(bind(hosts, "/etc/hosts")))
    assert runu("run", "--bundle", str(bundle), "c1").stdout == b"10.9.8.7 db\n"


def test_readonly_rootfs(runu, make_bundle):
    bundle = make_bundle(["sh", "-c", "touch /x && echo wrote || echo refused"],
                         edit=lambda s: s["root"].update(readonly=True))
    assert runu("run", "--bundle", str(bundle), "c1").stdout == b"refused\n"


def test_host_files_outside_the_rootfs_are_unreachable(runu, make_bundle, tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("host secret\n")

    def edit(spec):
        spec["process"]["capabilities"] = None  # full root in the guest: the strongest attacker

    bundle = make_bundle(["sh", "-c", f"""
        cat ../../../../{secret} /../../{secret} /escape 2>/dev/null
        mkdir -p /h && mount -t hostfs none /h -o /../../../../../ 2>/dev/null && cat /h/{secret} 2>/dev/null
        mount -t hostfs none /h -o {secret.parent} 2>/dev/null && cat /h/secret 2>/dev/null
        echo done"""], edit=edit)
    (bundle / "rootfs" / "escape").symlink_to(secret)
    result = runu("run", "--bundle", str(bundle), "c1")
    assert b"host secret" not in result.stdout
    assert result.stdout.endswith(b"done\n")
