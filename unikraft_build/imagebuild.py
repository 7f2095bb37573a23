"""The unified builder: recipe -> rootfs tree -> image config -> a Docker image, an OCI image
layout or a runtime bundle. Every stage is cached by its inputs; a target already made from the
same inputs is left as it is."""

import json
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from unikraft_build import assemble, bundle, imageconfig, oci
from kernelbuild.cache import digest
from unikraft_build.images import import_tarball, load_tarball
from unikraft_build.recipe import Recipe, load

TARGETS = ("docker", "oci", "bundle")
console = Console(stderr=True)


@dataclass
class Built:
    recipe: Recipe
    target: str
    where: str  # image tag or directory
    tree: Path
    config: dict
    cached: bool
    seconds: float


def tag(recipe: Recipe, own_profile: str) -> str:
    """runu/NAME:latest, runu/NAME:PROFILE when built for another profile than the recipe's;
    -ARCH appended (or ARCH alone) when built for another architecture than the host's."""
    version = "" if recipe.profile == own_profile else recipe.profile
    if recipe.arch:
        version = f"{version}-{recipe.arch}" if version else recipe.arch
    return f"runu/{recipe.name}:{version or 'latest'}"


def _up_to_date(out: Path, key: str) -> bool:
    stamp = out.with_name(out.name + ".key")
    return out.is_dir() and stamp.is_file() and stamp.read_text() == key


def _stamp(out: Path, key: str) -> None:
    out.with_name(out.name + ".key").write_text(key)


def build(name: str, target: str, profile: str | None = None, out: Path | None = None,
          client=None, base_spec: dict | None = None, arch: str | None = None) -> Built:
    """Build recipe `name` for `target` (and `arch`, Debian's name, if not the host's): docker
    needs `client`, oci and bundle `out`, bundle also `base_spec` (what `runu spec` writes)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r} (one of {', '.join(TARGETS)})")
    started = time.monotonic()
    recipe = load(name, profile, arch)
    tree, key = assemble.recipe_tree(recipe)
    tar, diff_id, layer_gz = oci.layer(tree, tree.parent)
    config = imageconfig.oci_config(recipe, key, diff_id)
    target_key = digest(key, json.dumps(config, sort_keys=True))
    if target == "docker":
        where = tag(recipe, load(name).profile)
        with console.status(f"docker import {where} ({len(tar) / 1e6:.0f} MB) unless it is there"):
            cached = not (load_tarball(client, tar, where, config) if recipe.arch else
                          import_tarball(client, tar, where, imageconfig.docker_changes(config)))
    else:
        where, cached = str(out), _up_to_date(out, target_key)
        if not cached and target == "oci":
            oci.write_layout(out, config, layer_gz, ref=tag(recipe, load(name).profile).split(":")[1],
                             annotations={imageconfig.PROFILE_KEY: recipe.profile,
                                          "org.opencontainers.image.title": recipe.name})
        elif not cached:
            bundle.write_bundle(out, tree, base_spec, config, hostname=recipe.name)
        _stamp(out, target_key)
    return Built(recipe, target, where, tree, config, cached, round(time.monotonic() - started, 2))
