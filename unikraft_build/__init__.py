"""Images for runu: recipes -> rootfs trees -> Docker images, OCI layouts and bundles, and the
footprint of what they hold (the Linux kernel builder is kernelbuild/)."""
