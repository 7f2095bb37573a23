"""runu.overlaylayers: an overlay rootfs's layers from mountinfo, or None where they cannot serve."""

from pathlib import Path

from runu.overlaylayers import layers_of


def mountinfo(tmp_path, merged, lower, upper, work):
    line = (f"123 45 0:99 / {merged} rw,relatime - overlay overlay "
            f"rw,lowerdir={lower},upperdir={upper},workdir={work}\n")
    path = tmp_path / "mountinfo"
    path.write_text(line)
    return str(path)


def test_the_layers_of_an_overlay_mounted_here(tmp_path):
    for name in ("lower", "diff", "work"):
        (tmp_path / name).mkdir()
    info = mountinfo(tmp_path, tmp_path / "merged", tmp_path / "lower", tmp_path / "diff", tmp_path / "work")
    layers = layers_of(tmp_path / "merged", info)
    assert (layers.lowers, layers.upper) == ([str(tmp_path / "lower")], str(tmp_path / "diff"))


def test_layers_this_namespace_cannot_reach_are_none(tmp_path):
    """A container's own root, seen from inside it: its layers are the outer host's paths."""
    info = mountinfo(tmp_path, "/", "/var/lib/docker/overlay2/l/NOPE", "/var/lib/docker/overlay2/x/diff",
                     "/var/lib/docker/overlay2/x/work")
    assert layers_of(Path("/"), info) is None
