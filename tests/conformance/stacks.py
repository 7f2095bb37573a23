"""Every stack the suite knows, by name, in the order the matrix shows them."""
from netstack.stacks import Stack
from netstack.stacks.linux import LinuxStack
from netstack.stacks.lkl import LklStack

STACKS: dict[str, type[Stack]] = {
    "linux": LinuxStack,
    "lkl": LklStack,
}
