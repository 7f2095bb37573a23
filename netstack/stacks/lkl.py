"""LKL (the Linux Kernel Library): listed so the matrix shows why it is absent.

No Debian or PyPI package ships a liblkl, so the driver only reports where it looked.
"""
import ctypes.util

from ..testbed import Testbed
from . import Stack


class LklStack(Stack):
    """Not runnable without a liblkl build; ``unavailable()`` says so."""
    name = "lkl"

    def unavailable(self) -> str | None:
        found = ctypes.util.find_library("lkl")
        if not found:
            return "no liblkl on this machine (neither Debian nor PyPI ships one)"
        return f"{found} is present but runu has no LKL network driver yet"

    def start(self, bed: Testbed) -> None:
        raise RuntimeError(self.unavailable())

    def stop(self) -> None:
        pass
