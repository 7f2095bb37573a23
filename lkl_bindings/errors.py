"""What goes wrong around the library kernel itself (the kernel's own errors are OSError)."""

import os


class KernelError(RuntimeError):
    """The kernel cannot be used as asked: booted twice, called after halt, not booted."""


class LibraryMissing(KernelError):
    """liblinux.so (or its cffi module) is not built for this machine."""


def check(result: int, what: str) -> int:
    """A system call's result, or OSError with the kernel's errno for a negative one."""
    if result < 0:
        raise OSError(-result, f"{os.strerror(-result)} ({what})")
    return result
