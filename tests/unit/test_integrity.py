"""Integrity before launch: a recorded rootfs manifest, checked entry by entry, the first
difference named in one line."""

import os

import pytest

from runu.errors import RunuError
from runu.integrity import verify
from runu import treedigest


@pytest.fixture
def bundle(tmp_path):
    rootfs = tmp_path / "rootfs"
    (rootfs / "bin").mkdir(parents=True)
    (rootfs / "bin" / "app").write_text("#!/bin/sh\necho hi\n")
    (rootfs / "bin" / "app").chmod(0o755)
    (rootfs / "bin" / "sh").symlink_to("busybox")
    (rootfs / "etc").mkdir()
    (rootfs / "etc" / "passwd").write_text("root:x:0:0::/:/bin/sh\n")
    (rootfs / "a-b").mkdir()  # sorts before "a/..." byte-wise per name, not per path
    manifest = treedigest.manifest(rootfs)
    (tmp_path / treedigest.MANIFEST).write_text(manifest)
    spec = {"root": {"path": "rootfs"}, "annotations": {
        treedigest.VERIFY_KEY: "true", treedigest.DIGEST_KEY: treedigest.digest(manifest)}}
    return tmp_path, spec


def refused(bundle, spec) -> str:
    with pytest.raises(RunuError) as e:
        verify(bundle, spec)
    assert "\n" not in str(e.value)
    return str(e.value)


def test_untouched_bundle_passes(bundle):
    verify(*bundle)


def test_no_verification_unless_asked(bundle):
    path, spec = bundle
    (path / "rootfs" / "etc" / "passwd").write_text("evil")
    spec["annotations"][treedigest.VERIFY_KEY] = "false"
    verify(path, spec)


def test_changed_content_names_the_file(bundle):
    path, spec = bundle
    (path / "rootfs" / "etc" / "passwd").write_text("root::0:0::/:/bin/sh\n")
    assert "/etc/passwd differs" in refused(path, spec)


def test_changed_mode_and_symlink_target(bundle):
    path, spec = bundle
    (path / "rootfs" / "bin" / "app").chmod(0o4755)
    assert "/bin/app differs" in refused(path, spec)
    (path / "rootfs" / "bin" / "app").chmod(0o755)
    os.unlink(path / "rootfs" / "bin" / "sh")
    (path / "rootfs" / "bin" / "sh").symlink_to("/tmp/evil")
    assert "/bin/sh differs" in refused(path, spec)


def test_added_and_removed_files(bundle):
    path, spec = bundle
    (path / "rootfs" / "bin" / "backdoor").write_text("x")
    assert "/bin/backdoor is not in the manifest" in refused(path, spec)
    (path / "rootfs" / "bin" / "backdoor").unlink()
    (path / "rootfs" / "etc" / "passwd").unlink()
    assert "/etc/passwd is missing" in refused(path, spec)


def test_tampered_manifest_or_missing_digest(bundle):
    path, spec = bundle
    (path / treedigest.MANIFEST).write_text("")
    assert "does not match" in refused(path, spec)
    del spec["annotations"][treedigest.DIGEST_KEY]
    assert "no org.runu.rootfs.digest" in refused(path, spec)


def test_manifest_paths_round_trip_odd_names(tmp_path):
    (tmp_path / 'we" ird\nname').write_text("x")
    [line] = treedigest.manifest(tmp_path).splitlines()
    assert treedigest.entry_path(line) == '/we" ird\nname'


@pytest.fixture
def remembering(tmp_path, monkeypatch):
    """Verified trees remembered in a directory of the test's; every entry old enough to vouch for."""
    from runu import integrity

    monkeypatch.setattr(integrity, "VERIFIED", tmp_path / "verified")
    monkeypatch.setattr(integrity, "CTIME_SETTLE_S", 0)
    return tmp_path / "verified"


def test_an_intact_tree_is_not_hashed_again_until_written(bundle, remembering, monkeypatch):
    from runu import integrity

    path, spec = bundle
    verify(path, spec)
    assert len(list(remembering.iterdir())) == 1
    hashed = []
    monkeypatch.setattr(integrity, "_first_difference", lambda *a: hashed.append(a) or None)
    verify(path, spec)
    assert hashed == []
    monkeypatch.undo()
    monkeypatch.setattr(integrity, "VERIFIED", remembering)
    passwd = path / "rootfs" / "etc" / "passwd"
    before = passwd.stat()
    passwd.write_text("root::0:0::/:/bin/sh\n")  # the write moves ctime
    os.utime(passwd, ns=(before.st_atime_ns, before.st_mtime_ns))  # times put back, as a forger would
    assert "/etc/passwd differs" in refused(path, spec)


def test_a_tree_written_just_now_is_not_remembered(bundle, tmp_path, monkeypatch):
    from runu import integrity

    monkeypatch.setattr(integrity, "VERIFIED", tmp_path / "verified")
    verify(*bundle)  # the fixture wrote every file within the last second
    assert not (tmp_path / "verified").exists()
