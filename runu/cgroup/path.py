"""linux.cgroupsPath as runc reads it, for the cgroupfs driver and for --systemd-cgroup."""

import posixpath

from runu.errors import RunuError

DEFAULT_SLICE = "system.slice"
SYSTEMD_PREFIX = "runu"


def _expand_slice(slice_name: str) -> str:
    """systemd's slice nesting: "a-b.slice" lives at /a.slice/a-b.slice; "-.slice" is the root."""
    if slice_name == "-.slice":
        return "/"
    if not slice_name.endswith(".slice") or "/" in slice_name:
        raise RunuError(f"linux.cgroupsPath: invalid systemd slice name {slice_name!r}")
    stem = slice_name[: -len(".slice")]
    if not stem or stem.startswith("-") or stem.endswith("-") or "--" in stem:
        raise RunuError(f"linux.cgroupsPath: invalid systemd slice name {slice_name!r}")
    parts = stem.split("-")
    return "/" + "/".join("-".join(parts[: i + 1]) + ".slice" for i in range(len(parts)))


def systemd_path(cgroups_path: str, container_id: str) -> str:
    """"slice:prefix:name" -> /slice.../prefix-name.scope (a name ending .slice is a slice)."""
    if not cgroups_path:
        cgroups_path = f"{DEFAULT_SLICE}:{SYSTEMD_PREFIX}:{container_id}"
    parts = cgroups_path.split(":")
    if len(parts) != 3:
        raise RunuError(f'linux.cgroupsPath: expected "slice:prefix:name" for systemd cgroups, '
                        f"got {cgroups_path!r}")
    slice_name, prefix, name = parts
    if not name or "/" in name or "/" in prefix:
        raise RunuError(f"linux.cgroupsPath: invalid systemd unit in {cgroups_path!r}")
    if name.endswith(".slice"):
        return _expand_slice(name)
    unit = f"{prefix}-{name}.scope" if prefix else f"{name}.scope"
    return posixpath.join(_expand_slice(slice_name or DEFAULT_SLICE), unit)


def cgroupfs_path(cgroups_path: str, container_id: str) -> str:
    """An absolute path is below each hierarchy's root, a relative one below the runtime's own
    cgroup (returned as given); none means the container's id, relative. ".." never climbs
    out of the hierarchy."""
    path = cgroups_path or container_id
    clean = posixpath.normpath("/" + path.lstrip("/"))
    if clean == "/":
        raise RunuError(f"linux.cgroupsPath {cgroups_path!r} names the root cgroup, not one of the container's own")
    return clean if path.startswith("/") else clean.lstrip("/")


def resolve(cgroups_path: str, container_id: str, systemd: bool) -> str:
    return systemd_path(cgroups_path, container_id) if systemd else cgroupfs_path(cgroups_path, container_id)
