"""A recipe built for a target with what each target needs from outside the builder: dockerd
for a Docker image, runu's default spec for an OCI layout or a bundle."""

from pathlib import Path

from runu.paths import ARTIFACTS
from unikraft_build import imagebuild


def output_dir(name: str, target: str, profile: str | None) -> Path:
    """Where oci and bundle targets go: one directory per recipe, profile and target."""
    return ARTIFACTS / "images" / (f"{name}-{profile}" if profile else name) / target


def build_image(name: str, target: str = "docker", profile: str | None = None) -> imagebuild.Built:
    """Build with what each target needs from above the builder: dockerd, `runu spec`."""
    if target == "docker":
        from dockerhost.daemon import client, ensure_docker
        ensure_docker()
        c = client()
        try:
            return imagebuild.build(name, target, profile, client=c)
        finally:
            c.close()
    from runu.spec import default_spec
    return imagebuild.build(name, target, profile, out=output_dir(name, target, profile),
                            base_spec=default_spec(terminal=False))
