"""runu: an OCI runtime that runs every container inside its own user-space Linux kernel."""

__version__ = "0.1.0"
OCI_VERSION = "1.1.0"
