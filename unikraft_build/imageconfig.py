"""The one image configuration a recipe yields, in the forms each target needs: an OCI image
config (OCI layout), Dockerfile-style changes (docker import) and a runtime spec's process.

The kernel profile travels three ways because each consumer sees only one of them: a label (image
tools), an annotation (OCI manifest, bundle), and RUNU_KERNEL_PROFILE in the env (Docker 20.10
hands the runtime neither labels nor annotations, only the process env).
"""

import json

from unikraft_build.recipe import Recipe

PROFILE_KEY = "org.runu.kernel.profile"
PROFILE_ENV = "RUNU_KERNEL_PROFILE"
RECIPE_KEY = "org.runu.recipe.digest"
PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
EPOCH = "1970-01-01T00:00:00Z"  # reproducible: same recipe, same config digest


def env(recipe: Recipe) -> list[str]:
    return [PATH, *(f"{k}={v}" for k, v in recipe.env.items()), f"{PROFILE_ENV}={recipe.profile}"]


def labels(recipe: Recipe, key: str) -> dict[str, str]:
    return {
        **recipe.labels,
        "org.opencontainers.image.title": recipe.name,
        "org.opencontainers.image.description": recipe.description,
        PROFILE_KEY: recipe.profile,
        RECIPE_KEY: key,
    }


def oci_config(recipe: Recipe, key: str, diff_id: str) -> dict:
    """application/vnd.oci.image.config.v1+json for a one-layer image."""
    config = {"User": f"{recipe.uid}:{recipe.uid}", "Env": env(recipe), "Cmd": list(recipe.cmd),
              "WorkingDir": "/", "Labels": labels(recipe, key)}
    if recipe.ports:
        config["ExposedPorts"] = {f"{port}/tcp": {} for port in recipe.ports}
    return {
        "created": EPOCH,
        "architecture": recipe.architecture,
        "os": "linux",
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": EPOCH, "created_by": f"invoke images.build {recipe.name}"}],
    }


def docker_changes(config: dict) -> list[str]:
    """The same settings as `docker import --change` lines (JSON strings quote like Dockerfiles)."""
    c = config["config"]
    return [
        f"CMD {json.dumps(c['Cmd'])}",
        f"USER {c['User']}",
        f"WORKDIR {c['WorkingDir']}",
        *(f"ENV {k}={json.dumps(v)}" for k, _, v in (e.partition("=") for e in c["Env"])),
        *(f"EXPOSE {port}" for port in c.get("ExposedPorts", {})),
        *(f"LABEL {json.dumps(k)}={json.dumps(v)}" for k, v in c["Labels"].items()),
    ]
