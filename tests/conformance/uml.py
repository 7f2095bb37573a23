"""runu's UML sandbox kernel as a stack, one per kernel profile, and its vm kind's x86_64 guest. It sits above runu (netstack must
not import runu): ``runu run`` starts in the testbed's stack namespace, where eth0 is set up the
way Docker leaves it, and runu hands eth0's MAC and address to the guest kernel through a tap and
a tc redirect. The echo service runs in the guest from a read-only view of the host's root.

Only a missing kernel makes the stack "not run": anything runu gets wrong is a failure."""
import sys
from pathlib import Path

from netstack import ifconfig, link, netns, tc
from netstack.stacks import ECHO_PORT, Stack
from netstack.stacks.linux import ECHO_SCRIPT
from netstack.stacks.oci import OciRun, echo_argv, host_root_spec
from netstack.testbed import Testbed

RUNU = Path(sys.executable).with_name("runu")
PROFILE_ANNOTATION = "org.runu.kernel.profile"
SANDBOX_ANNOTATION = "org.runu.sandbox"


def profiles() -> list[str]:
    """The kernel profiles the project defines (each is a stack of the matrix)."""
    from kernelbuild.profiles import names
    return names()


class UmlStack(Stack):
    """A UML kernel of one runu profile under ``runu run``: eth0's MAC and address move to the
    guest's vector device, which reaches eth0 through tap0 and a tc redirect both ways."""

    sandbox, arch = "uml", "um"

    def __init__(self, profile: str):
        self.profile, self.name = profile, f"uml-{profile}"
        self._container: OciRun | None = None

    def unavailable(self) -> str | None:
        from runu.errors import RunuError
        from runu.kernels import find_kernel
        try:
            find_kernel(self.profile, self.arch)
        except RunuError as err:
            return str(err)
        return None

    def start(self, bed: Testbed) -> None:
        self._container = OciRun([str(RUNU)])
        spec = host_root_spec(echo_argv(ECHO_SCRIPT, ECHO_PORT),
                              netns.path(bed.stack_ns), hostname=self.name)
        spec["annotations"] = {PROFILE_ANNOTATION: self.profile, SANDBOX_ANNOTATION: self.sandbox}
        # the echo server prints "ready" once it listens, and the guest's init runs it only
        # after configuring the network
        self._container.run(spec, "ready", timeout=60)
        _check_handed_over(bed)

    def stop(self) -> None:
        if self._container:
            self._container.remove()
            self._container = None


class VmStack(UmlStack):
    """runu's default kernel built for ARCH in a QEMU VM (the vm kind: x86_64's microvm, arm64's
    virt, under TCG here) under ``runu run``: eth0's MAC and address move to the guest's
    virtio-net device, on tap0. An arm64 guest runs the echo service with Debian's arm64
    python3-minimal (a rootfs of its own, cached), not the host's."""

    sandbox = "vm"

    def __init__(self, arch: str):
        super().__init__("default")
        self.arch, self.name = arch, f"vm-{arch}"

    def start(self, bed: Testbed) -> None:
        if self.arch == "x86_64":
            return super().start(bed)
        self._container = OciRun([str(RUNU)])
        argv = ["/usr/bin/python3", "-c", ECHO_SCRIPT.read_text(), str(ECHO_PORT)]
        spec = host_root_spec(argv, netns.path(bed.stack_ns), hostname=self.name)
        spec["root"]["path"] = str(_python_root(self.arch))
        spec["annotations"] = {PROFILE_ANNOTATION: self.profile, SANDBOX_ANNOTATION: self.sandbox}
        self._container.run(spec, "ready", timeout=180)  # python3 under TCG starts in seconds
        _check_handed_over(bed)


def _python_root(arch: str) -> Path:
    """Debian's python3-minimal of `arch`, unpacked once into the build cache."""
    from kernelbuild.cache import CACHE, build_once
    from unikraft_build import debian

    return build_once(CACHE / "rootfs" / f"conformance-python-{arch}",
                      lambda tree: debian.install("bookworm", ["python3-minimal"], tree, arch=arch))


def _check_handed_over(bed: Testbed) -> None:
    """Fail unless eth0 now only carries the guest's frames, so that nothing the tester sees can
    come from the host's kernel in the stack namespace."""
    from runu.netplumb import TAP
    with netns.iproute(bed.stack_ns) as ipr:
        left = ifconfig.read(ipr, bed.stack_if).ipv4()
        if left or not tc.redirected(ipr, bed.stack_if):
            raise RuntimeError(f"runu did not hand {bed.stack_if} over: addresses {left}, "
                               f"redirected {tc.redirected(ipr, bed.stack_if)}")
        if not link.wait_operational(ipr, TAP):
            raise RuntimeError(f"{TAP} has no reader: the guest never opened its vector device")
