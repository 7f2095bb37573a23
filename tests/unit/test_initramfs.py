"""The initramfs is a valid newc archive holding /init, byte-for-byte reproducible."""

from kernelbuild.initramfs import write_initramfs


def parse_newc(data):
    entries, pos = [], 0
    while True:
        assert data[pos:pos + 6] == b"070701"
        fields = [int(data[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = fields[1], fields[6], fields[11]
        name_start = pos + 110
        name = data[name_start:name_start + namesize - 1].decode()
        body = name_start + namesize + (-(110 + namesize) % 4)
        if name == "TRAILER!!!":
            return entries
        entries.append((name, mode, data[body:body + size]))
        pos = body + size + (-size % 4)


def test_archive_holds_init(tmp_path):
    init = tmp_path / "init-bin"
    init.write_bytes(b"\x7fELF-ish payload of odd length")
    out = tmp_path / "a.cpio"
    write_initramfs(init, out)
    assert parse_newc(out.read_bytes()) == [("init", 0o100755, init.read_bytes())]
    first = out.read_bytes()
    write_initramfs(init, out)
    assert out.read_bytes() == first
