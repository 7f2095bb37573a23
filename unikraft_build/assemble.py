"""A recipe's rootfs tree, built in two cached stages.

The base stage (busybox plus the Debian packages) is keyed by base, suite, package list and
architecture; the recipe stage (files/, users, build commands on a copy of the base) by
everything the recipe directory holds. Build commands run in the tree's own architecture
(unikraft_build.foreign). An unchanged recipe costs one walk of its small files/ directory.
"""

import subprocess
from pathlib import Path

from rich.console import Console

from runu import treedigest
from unikraft_build import debian, foreign
from kernelbuild.cache import CACHE, build_once, digest
from unikraft_build.recipe import FIRST_UID, Recipe
from unikraft_build.rootfs import busybox_rootfs

# Bump when the way trees are assembled changes, to invalidate cached trees.
BUILDER_REVISION = "2"
console = Console(stderr=True)


def base_key(recipe: Recipe) -> str:
    host = digest(BUILDER_REVISION, recipe.base, recipe.suite, *sorted(recipe.packages))
    return digest(host, recipe.arch) if recipe.arch else host


def recipe_key(recipe: Recipe) -> str:
    """Every input of the tree: the base's key, the recipe text and its files/ tree."""
    files = treedigest.manifest(recipe.files) if recipe.files.is_dir() else ""
    return digest(base_key(recipe), (recipe.path / "recipe.toml").read_text(), files)


def base_tree(recipe: Recipe) -> Path:
    def make(tree: Path) -> None:
        busybox_rootfs(tree, recipe.arch)
        if recipe.packages:
            debian.install(recipe.suite, list(recipe.packages), tree, recipe.arch)
    return build_once(CACHE / "rootfs" / base_key(recipe), make)


def _add_users(tree: Path, users: tuple[str, ...]) -> None:
    """System users the programs switch to (maintainer scripts would have made them)."""
    with (tree / "etc/passwd").open("a") as passwd, (tree / "etc/group").open("a") as group:
        for uid, name in enumerate(users, FIRST_UID):
            passwd.write(f"{name}:x:{uid}:{uid}::/nonexistent:/bin/false\n")
            group.write(f"{name}:x:{uid}:\n")


def recipe_tree(recipe: Recipe) -> tuple[Path, str]:
    """The finished rootfs of `recipe` and its key; built only when an input changed."""
    key = recipe_key(recipe)

    def make(out: Path) -> None:
        tree = out / "rootfs"
        subprocess.run(["cp", "-a", str(base_tree(recipe)), str(tree)], check=True)
        if recipe.files.is_dir():
            subprocess.run(["cp", "-a", f"{recipe.files}/.", str(tree)], check=True)
        _add_users(tree, recipe.users)
        for command in recipe.run:
            console.print(f"[dim]{recipe.name} ({recipe.architecture}): {command}[/dim]")
            foreign.run(tree, ["/bin/sh", "-c", command], recipe.architecture, check=True)

    return build_once(CACHE / "images" / key, make) / "rootfs", key
