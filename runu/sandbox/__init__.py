"""Sandbox kernels: one module per kind behind one small interface, chosen by annotation."""

from runu.errors import RunuError
from runu.sandbox.base import SandboxKernel


def get_sandbox(name: str) -> SandboxKernel:
    if name == "uml":
        from runu.sandbox.uml import UmlSandbox

        return UmlSandbox()
    if name in ("lkl", "unikraft"):
        raise RunuError(f"sandbox kernel {name!r} is not available on this host")
    raise RunuError(f"unknown sandbox kernel {name!r} (known: uml)")
