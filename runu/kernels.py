"""Find the built sandbox kernel of a profile; the builder writes what this reads."""

import json
import re
from pathlib import Path

from runu.errors import RunuError
from runu.paths import kernel_dir

PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class Kernel:
    """A built kernel as its manifest describes it."""

    def __init__(self, profile: str, arch: str, path: Path, version: str, config_hash: str, lpj: int,
                 runtime_libs: tuple[str, ...], emulator: str):
        self.profile, self.arch, self.path, self.version = profile, arch, path, version
        self.config_hash, self.lpj, self.runtime_libs, self.emulator = config_hash, lpj, runtime_libs, emulator


def find_kernel(profile: str, arch: str = "um") -> Kernel:
    """The kernel built for `profile` and `arch`, or a RunuError saying how to get one."""
    if not PROFILE_NAME.match(profile):
        raise RunuError(f"invalid kernel profile name {profile!r}")
    manifest = kernel_dir(profile, arch) / "kernel.json"
    try:
        info = json.loads(manifest.read_text())
    except FileNotFoundError:
        raise RunuError(f"no {arch} kernel built for profile {profile!r} "
                        f"(run `invoke kernel.build --profile {profile} --arch {arch}`)") from None
    return Kernel(
        profile=profile,
        arch=arch,
        path=Path(info["path"]),
        version=info["version"],
        config_hash=info["config_hash"],
        lpj=int(info["lpj"]),
        runtime_libs=tuple(info["runtime_libs"]),
        emulator=info["emulator"],
    )
