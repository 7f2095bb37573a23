"""Every stack the suite knows, by name, in the order the matrix shows them."""
import functools
import inspect
from typing import Callable

from netstack.stacks import Stack
from netstack.stacks.gvisor import GvisorStack
from netstack.stacks.linux import LinuxStack
from netstack.stacks.lkl import LklStack
from netstack.stacks.lwip import LwipStack

from .uml import UmlStack, VmStack, profiles

STACKS: dict[str, Callable[[], Stack]] = {
    "linux": LinuxStack,
    **{f"uml-{p}": functools.partial(UmlStack, p) for p in profiles()},
    **{f"vm-{arch}": functools.partial(VmStack, arch) for arch in ("x86_64", "arm64")},
    "gvisor": GvisorStack,
    "lwip": LwipStack,
    "lkl": LklStack,
}


def wiring() -> dict[str, str]:
    """How each stack is brought up, in a phrase: the first paragraph of its driver's docstring."""
    return {name: " ".join(inspect.getdoc(type(make())).split("\n\n")[0].split()).rstrip(".")
            for name, make in STACKS.items()}
