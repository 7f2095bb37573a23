"""A recipe built for a target with what each target needs from outside the builder: dockerd
for a Docker image, runu's default spec for an OCI layout or a bundle."""

from pathlib import Path

from runu.paths import ARTIFACTS
from unikraft_build import imagebuild


def output_dir(name: str, target: str, profile: str | None, arch: str | None = None) -> Path:
    """Where oci and bundle targets go: one directory per recipe, profile, architecture and target."""
    variant = "-".join(filter(None, (name, profile, arch)))
    return ARTIFACTS / "images" / variant / target


def build_image(name: str, target: str = "docker", profile: str | None = None,
                arch: str | None = None) -> imagebuild.Built:
    """Build with what each target needs from above the builder: dockerd, `runu spec`."""
    if target == "docker":
        from dockerhost.daemon import client, ensure_docker
        ensure_docker()
        c = client()
        try:
            return imagebuild.build(name, target, profile, client=c, arch=arch)
        finally:
            c.close()
    from runu.spec import default_spec
    return imagebuild.build(name, target, profile, out=output_dir(name, target, profile, arch),
                            base_spec=default_spec(terminal=False), arch=arch)
