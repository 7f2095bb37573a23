"""Kernel profiles: named Kconfig fragments applied on top of tinyconfig."""

from pathlib import Path

PROFILES = Path(__file__).parent / "profiles"


class UnknownProfile(ValueError):
    pass


def names() -> list[str]:
    return sorted(p.stem for p in PROFILES.glob("*.config"))


def fragment(profile: str) -> Path:
    path = PROFILES / f"{profile}.config"
    if not path.is_file():
        raise UnknownProfile(f"unknown kernel profile {profile!r} (known: {', '.join(names())})")
    return path
