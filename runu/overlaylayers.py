"""The layers under an overlay rootfs (Docker's overlay2 `merged`), for the launcher to rebuild
that overlay from idmapped layers: this kernel refuses to idmap a merged overlay, but takes an
overlay of idmapped layers.

The launcher's overlay shares Docker's upper and work directories while Docker's own mount
stays (the kernel warns that both use them); nothing of Docker's touches that mount while the
container runs, apart from `docker cp` and `docker diff`, which may then see stale views.
"""

from pathlib import Path

from runu.errors import RunuError


class OverlayLayers:
    def __init__(self, lowers: list[str], upper: str, work: str):
        self.lowers, self.upper, self.work = lowers, upper, work


def _unescape(field: str) -> str:
    return field.encode().decode("unicode_escape") if "\\" in field else field


def _options(text: str) -> dict[str, str]:
    """Overlay's super options; a lowerdir list may hold escaped commas, never raw ones."""
    out = {}
    for option in text.split(","):
        key, _, value = option.partition("=")
        out[key] = value
    return out


def layers_of(path: Path, mountinfo: str = "/proc/self/mountinfo") -> OverlayLayers | None:
    """The layers of the overlay mounted at `path`; None when `path` is no overlay's root, the
    overlay has no upper layer, or its layers are not reachable here."""
    found = None
    with open(mountinfo) as f:
        for line in f:
            left, _, right = line.rstrip("\n").partition(" - ")
            fields = left.split()
            fstype, _source, options = right.split(" ", 2)
            if fstype == "overlay" and _unescape(fields[4]) == str(path) and fields[3] == "/":
                found = _options(options)  # the last mount at the path is the one seen
    if found is None:
        return None
    # Docker writes relative layer paths when absolute ones would not fit a page of options:
    # relative to its overlay2 directory, the merged directory's grandparent.
    base = path.parent.parent

    def resolve(p: str) -> str:
        return str(base / p) if not p.startswith("/") else p

    if "upperdir" not in found or "workdir" not in found:
        return None  # a read-only overlay: served as it is (runu.idmap)
    lowers = [resolve(_unescape(p)) for p in found.get("lowerdir", "").split(":") if p]
    upper, work = resolve(_unescape(found["upperdir"])), resolve(_unescape(found["workdir"]))
    if Path(upper).parent != Path(work).parent:
        raise RunuError(f"rootfs {path}: its overlay's upper and work directories are not siblings")
    if not all(Path(p).is_dir() for p in (*lowers, upper)):
        # Mounted in another mount namespace than ours (a container's own root, seen from
        # inside it): its layers are not ours to rebuild from; served as it is (runu.idmap).
        return None
    return OverlayLayers(lowers, upper, work)
