"""runu's kernel patches: applied to a tree of their own, Debian's tree left as shipped, the
build key following the patches; the real patches apply to the unpacked source."""

import shutil
import subprocess

import pytest

from kernelbuild import arches, kernel, source
from kernelbuild.source import KernelSource, patched_tree, patches

PATCH = """Why: a test.
---
--- a/greeting.txt
+++ b/greeting.txt
@@ -1,2 +1,2 @@
 hello
-world
+patched world
"""


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A one-file 'kernel source' and an empty patch directory standing in for kernelbuild/patches."""
    src = tmp_path / "src" / "linux-source-9.9_9.9-1"
    src.mkdir(parents=True)
    (src / "greeting.txt").write_text("hello\nworld\n")
    (src / "untouched.txt").write_text("same\n")
    patch_dir = tmp_path / "patches"
    patch_dir.mkdir()
    monkeypatch.setattr(source, "PATCHES", patch_dir)
    return KernelSource("9.9", "9.9-1", src), patch_dir


def test_without_patches_the_debian_tree_is_used(tree):
    src, _ = tree
    assert patched_tree(src, status=lambda _: None) == src.tree


def test_patches_apply_to_a_tree_of_their_own(tree):
    src, patch_dir = tree
    (patch_dir / "0001-greeting.patch").write_text(PATCH)
    said = []
    patched = patched_tree(src, status=said.append)
    assert patched != src.tree and patched.parent == src.tree.parent
    assert (patched / "greeting.txt").read_text() == "hello\npatched world\n"
    assert (src.tree / "greeting.txt").read_text() == "hello\nworld\n"  # Debian's stays as shipped
    assert (patched / "untouched.txt").read_text() == "same\n"
    assert any("0001-greeting.patch" in line for line in said)
    # Made once: the second call only finds it.
    assert patched_tree(src, status=lambda line: pytest.fail(line)) == patched


def test_a_changed_patch_makes_a_new_tree_and_a_new_build_key(tree, monkeypatch):
    src, patch_dir = tree
    monkeypatch.setattr(kernel.profiles, "fragment", lambda _: patch_dir / "fragment")
    (patch_dir / "fragment").write_text("CONFIG_64BIT=y\n")
    (patch_dir / "0001-greeting.patch").write_text(PATCH)
    um = arches.lookup("um")
    first, first_key = patched_tree(src, status=lambda _: None), kernel.build_key("p", um, src)
    (patch_dir / "0001-greeting.patch").write_text(PATCH.replace("patched world", "other world"))
    second, second_key = patched_tree(src, status=lambda _: None), kernel.build_key("p", um, src)
    assert second != first and second_key != first_key
    assert (second / "greeting.txt").read_text() == "hello\nother world\n"


def test_a_patch_that_does_not_apply_is_an_error_and_leaves_no_tree(tree):
    src, patch_dir = tree
    (patch_dir / "0001-greeting.patch").write_text(PATCH.replace(" hello", " goodbye"))
    with pytest.raises(RuntimeError, match="does not apply"):
        patched_tree(src, status=lambda _: None)
    assert not [p for p in src.tree.parent.iterdir() if p.is_dir() and p != src.tree]


def test_runus_patches_apply_in_order_to_the_unpacked_source(tmp_path):
    """kernelbuild/patches/ apply, one after the other, to the files they touch in the Debian tree
    on this machine (copied: the check writes nothing of the cache)."""
    unpacked = source.unpacked_source()
    if unpacked is None:
        pytest.skip("no kernel source unpacked (invoke setup fetches it)")
    assert patches(), "kernelbuild/patches/ holds no patch"
    for rel in {rel for patch in patches() for rel in source._patched_files(patch)}:
        if (unpacked.tree / rel).exists():
            (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(unpacked.tree / rel, tmp_path / rel)
    for patch in patches():
        done = subprocess.run(["patch", "-p1", "--batch", "--forward", "--fuzz=0", "-d", str(tmp_path),
                               "-i", str(patch)], capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{patch.name}:\n{done.stdout}{done.stderr}"
