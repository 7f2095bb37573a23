"""Image recipes: images/<name>/recipe.toml plus files/ (copied over the rootfs as they are).

A recipe says what the rootfs holds (a base and Debian packages, users, build commands) and how
the image runs (env, cmd, ports, labels, kernel profile); nothing else is read, so an unknown
key is an error rather than a silently ignored wish.
"""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from kernelbuild import profiles
from unikraft_build import foreign

IMAGES = Path(__file__).resolve().parent.parent / "images"
BASES = ("busybox",)  # static busybox, every applet: the shell recipes and build commands use
FIRST_UID = 100  # recipe users get 100, 101, ... in the order listed


class RecipeError(ValueError):
    pass


@dataclass(frozen=True)
class Recipe:
    name: str
    path: Path
    description: str
    profile: str
    base: str = "busybox"
    suite: str = "bookworm"
    packages: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    user: str = "root"  # who the process runs as: root or one of `users`
    run: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cmd: tuple[str, ...] = ("sh",)
    ports: tuple[int, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    arch: str | None = None  # Debian's name of the image's architecture, if not the host's

    @property
    def files(self) -> Path:
        return self.path / "files"

    @property
    def architecture(self) -> str:
        """The image's architecture, in Debian's (and OCI's) naming."""
        return self.arch or foreign.host()

    @property
    def uid(self) -> int:
        return 0 if self.user == "root" else FIRST_UID + self.users.index(self.user)


def names() -> list[str]:
    return sorted(p.parent.name for p in IMAGES.glob("*/recipe.toml"))


def _check(name: str, data: dict) -> None:
    known = set(Recipe.__dataclass_fields__) - {"name", "path", "arch"}
    if unknown := sorted(set(data) - known):
        raise RecipeError(f"recipe {name}: unknown keys {', '.join(unknown)}")
    for key in ("description", "profile"):
        if key not in data:
            raise RecipeError(f"recipe {name}: {key} is required")
    if data.get("base", "busybox") not in BASES:
        raise RecipeError(f"recipe {name}: base must be one of {', '.join(BASES)}")
    if data.get("user", "root") not in ("root", *data.get("users", ())):
        raise RecipeError(f"recipe {name}: user must be root or one of users")
    for key in ("env", "labels"):
        if not all(isinstance(v, str) for v in data.get(key, {}).values()):
            raise RecipeError(f"recipe {name}: every {key} value must be a string")


def load(name: str, profile: str | None = None, arch: str | None = None) -> Recipe:
    """The recipe `name`; `profile` overrides its kernel profile, `arch` (Debian's name) builds
    it for another architecture. Unknown profiles and architectures are errors."""
    path = IMAGES / name / "recipe.toml"
    if not path.is_file():
        raise RecipeError(f"no recipe {name!r} (known: {', '.join(names())})")
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(f"{path}: {e}") from None
    _check(name, data)
    if profile:
        data["profile"] = profile
    profiles.fragment(data["profile"])  # UnknownProfile names the known ones
    if arch and arch not in foreign.MACHINES:
        raise RecipeError(f"unknown architecture {arch!r} (known: {', '.join(foreign.MACHINES)})")
    if arch and arch != foreign.host():
        data["arch"] = arch
    lists = {k: tuple(data[k]) for k in ("packages", "users", "run", "cmd", "ports") if k in data}
    return Recipe(name=name, path=path.parent, **{**data, **lists})
