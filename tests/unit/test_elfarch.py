"""The image decides the guest's architecture: the program is found inside the rootfs (PATH,
links and #! interpreters followed there, never on the host) and its ELF machine read."""

import shutil
import struct

import pytest

from runu import sandbox as kinds
from runu.elfarch import host_arch, program_arch
from runu.errors import RunuError

BUSYBOX = "/bin/busybox"  # busybox-static: an ELF of the host's architecture


def elf_header(machine: int) -> bytes:
    """The identification and machine of a 64-bit little-endian ELF, padded."""
    ident = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HH", 2, machine) + bytes(44)


@pytest.fixture
def rootfs(tmp_path):
    (tmp_path / "bin").mkdir()
    (tmp_path / "usr" / "bin").mkdir(parents=True)
    shutil.copy(BUSYBOX, tmp_path / "bin" / "busybox")
    (tmp_path / "bin" / "sh").symlink_to("busybox")
    (tmp_path / "usr" / "bin" / "arm-tool").write_bytes(elf_header(183))
    (tmp_path / "usr" / "bin" / "rv-tool").write_bytes(elf_header(243))
    return tmp_path


def test_a_program_on_path_is_read_through_its_link(rootfs):
    assert program_arch(rootfs, {"args": ["sh", "-c", "true"], "env": ["PATH=/usr/bin:/bin"]}) == host_arch()


def test_an_absolute_program_and_the_machine_names(rootfs):
    assert program_arch(rootfs, {"args": ["/usr/bin/arm-tool"]}) == "arm64"
    assert program_arch(rootfs, {"args": ["rv-tool"]}) == "riscv64"


def test_a_script_is_its_interpreters_architecture(rootfs):
    (rootfs / "run.sh").write_text("#!/usr/bin/arm-tool -x\necho\n")
    assert program_arch(rootfs, {"args": ["/run.sh"]}) == "arm64"


def test_links_resolve_inside_the_rootfs_not_on_the_host(rootfs):
    # An absolute link names the rootfs's own /usr/bin, even though the host has /usr/bin too.
    (rootfs / "bin" / "tool").symlink_to("/usr/bin/arm-tool")
    (rootfs / "bin" / "escape").symlink_to("../../../../../../bin/busybox")
    assert program_arch(rootfs, {"args": ["/bin/tool"]}) == "arm64"
    assert program_arch(rootfs, {"args": ["/bin/escape"]}) == host_arch()  # clamped at the rootfs's /
    (rootfs / "bin" / "busybox").unlink()
    assert program_arch(rootfs, {"args": ["/bin/escape"]}) is None


def test_what_cannot_be_told_is_none(rootfs):
    (rootfs / "loop").symlink_to("loop")
    (rootfs / "text").write_text("not a program\n")
    for args in (["no-such-program"], ["/loop"], ["/text"], []):
        assert program_arch(rootfs, {"args": args}) is None


def test_an_image_of_an_unserved_architecture_is_refused_naming_both(rootfs):
    with pytest.raises(RunuError) as refused:
        kinds.choose("", "riscv64", rootfs)
    message = str(refused.value)
    assert "riscv64" in message and "x86_64" in message and "arm64" in message


def test_the_default_kind_serves_the_host_and_a_vm_serves_arm64(rootfs):
    assert kinds.choose("", "x86_64", rootfs).name == "uml"
    assert kinds.choose("", "arm64", rootfs).name == "vm"
    with pytest.raises(RunuError, match="built for arm64; the uml sandbox kind runs x86_64 only"):
        kinds.choose("uml", "arm64", rootfs)


def test_a_unikraft_image_claims_its_kind_unless_one_is_named(rootfs):
    (rootfs / "unikraft" / "bin").mkdir(parents=True)
    (rootfs / "unikraft" / "bin" / "kernel").write_bytes(elf_header(62))
    assert kinds.choose("", "x86_64", rootfs).name == "unikraft"
    assert kinds.choose("vm", "x86_64", rootfs).name == "vm"


def test_a_kind_that_serves_some_programs_only_runs_when_named(rootfs):
    # lkl serves the host's architecture, but only dynamically linked programs: never a default.
    assert kinds.lookup("lkl").named_only
    assert all(kinds.choose("", arch, rootfs).name != "lkl" for arch in ("x86_64", "arm64"))
    assert kinds.choose("lkl", host_arch(), rootfs).name == "lkl"
