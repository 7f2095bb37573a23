"""Sandbox kinds: each lives in one module behind SandboxKind (base.py), registers itself
there, and is looked up here by the name a spec gives (annotation org.runu.sandbox)."""

import importlib
from pathlib import Path

from runu.errors import RunuError

# The modules of the kinds runu ships; importing one registers its kind.
_MODULES = ("runu.sandbox.uml", "runu.sandbox.vm", "runu.sandbox.unikraft", "runu.sandbox.lkl")
_registered: dict[str, type] = {}


def register(kind: type) -> type:
    """Class decorator: the kind becomes known by its name."""
    _registered[kind.name] = kind
    return kind


def known() -> list[str]:
    for module in _MODULES:
        importlib.import_module(module)
    return sorted(_registered)


def with_agent() -> list[str]:
    """The kinds whose guests run an agent (runu exec, ps --guest)."""
    return [name for name in known() if _registered[name].has_agent]


def default_kind() -> str:
    """The kind a spec without org.runu.sandbox gets: the one registered as the default."""
    known()
    return next(name for name, kind in _registered.items() if kind.is_default)


def choose(named: str, arch: str, rootfs: Path):
    """The kind of a container whose program is built for `arch`: the one `named` (annotation,
    environment, --sandbox), which must serve it; else a kind that claims the rootfs (a
    Unikraft image), the default kind, or the first that serves it and may be chosen unnamed (an
    arm64 image on an x86 host gets a VM)."""
    known()
    claiming = [name for name, kind in sorted(_registered.items()) if kind.claims(rootfs)]
    named = named or (claiming[0] if claiming else "")
    if named:
        kind = lookup(named)
        if arch not in kind.arches:
            raise RunuError(f"the container's program is built for {arch}; the {named} sandbox kind runs "
                            f"{', '.join(kind.arches)} only")
        return kind
    serving = [name for name in [default_kind(), *sorted(_registered)]
               if arch in _registered[name].arches and not _registered[name].named_only]
    if not serving:
        served = sorted({a for kind in _registered.values() for a in kind.arches})
        raise RunuError(f"the container's program is built for {arch}, which no runu kernel runs "
                        f"(they run {', '.join(served)})")
    return lookup(serving[0])


def lookup(name: str):
    """The kind called `name`; a RunuError listing the known ones for any other name."""
    if name not in _registered:
        known()
    try:
        return _registered[name]()
    except KeyError:
        raise RunuError(f"unknown sandbox kind {name!r} (known: {', '.join(known())})") from None
