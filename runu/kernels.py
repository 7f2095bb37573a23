"""Find the built sandbox kernel of a profile; the builder writes what this reads."""

import json
import re
from pathlib import Path

from runu.errors import RunuError
from runu.paths import kernel_dir

PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Kernel:
    """A built kernel as its manifest describes it."""

    def __init__(self, profile: str, path: Path, version: str, config_hash: str, lpj: int,
                 runtime_libs: tuple[str, ...]):
        self.profile, self.path, self.version = profile, path, version
        self.config_hash, self.lpj, self.runtime_libs = config_hash, lpj, runtime_libs


def find_kernel(profile: str) -> Kernel:
    """The kernel built for `profile`, or a RunuError saying how to get one."""
    if not PROFILE_NAME.match(profile):
        raise RunuError(f"invalid kernel profile name {profile!r}")
    manifest = kernel_dir(profile) / "kernel.json"
    try:
        info = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise RunuError(
            f"no kernel built for profile {profile!r} (run `invoke kernel.build --profile {profile}`)"
        ) from None
    return Kernel(
        profile=profile,
        path=Path(info["path"]),
        version=info["version"],
        config_hash=info["config_hash"],
        lpj=int(info["lpj"]),
        runtime_libs=tuple(info["runtime_libs"]),
    )
