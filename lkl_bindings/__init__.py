"""Linux as a library, from Python: a Linux 7.3 kernel booted inside this process.

    from lkl_bindings import Kernel

    with Kernel(memory_mb=64) as kernel:
        print(kernel.release())          # what `uname -r` prints there
        kernel.mkdir("/data")
        kernel.write_file("/data/x", b"hello")

The kernel is runu's own build (kernelbuild/library.py, `invoke lkl.build`):
liblinux.so with the cffi module beside it under RUNU_HOME/lkl/ARCH.
A process boots one kernel, once.
"""

from lkl_bindings.errors import KernelError, LibraryMissing
from lkl_bindings.kernel import Kernel
from lkl_bindings.net import Interface
from lkl_bindings.sockets import Socket

__all__ = ["Interface", "Kernel", "KernelError", "LibraryMissing", "Socket"]
