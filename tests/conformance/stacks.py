"""Every stack the suite knows, by name, in the order the matrix shows them."""
from netstack.stacks import Stack
from netstack.stacks.gvisor import GvisorStack
from netstack.stacks.linux import LinuxStack
from netstack.stacks.lkl import LklStack
from netstack.stacks.lwip import LwipStack

STACKS: dict[str, type[Stack]] = {
    "linux": LinuxStack,
    "gvisor": GvisorStack,
    "lwip": LwipStack,
    "lkl": LklStack,
}
