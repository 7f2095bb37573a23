"""runu: an OCI runtime that runs every container inside its own user-space Linux kernel."""

__version__ = "0.1.0"
from runu.abi import OCI_VERSION  # noqa: F401  (shared with the C front end)
