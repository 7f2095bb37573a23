"""What a sandbox kind is: the one interface a kernel kind lives behind, and the typed facts
create records for the later verbs.

Plain classes rather than dataclasses: this is on every container start, and
importing dataclasses costs more than all of runu's own modules."""

from pathlib import Path


class RootBind:
    """A host path the sandbox root exposes at `target` (relative to that root); `own`: the
    container's own files (a volume), owned through its id range as the rootfs is."""

    def __init__(self, source: str, target: str, readonly: bool = True, is_file: bool = True, own: bool = False):
        self.source, self.target, self.readonly, self.is_file, self.own = source, target, readonly, is_file, own


class RootDevice:
    """A character device the sandbox's kernel opens: a node of its own in the sandbox root,
    owned by the sandbox's user (the host's node may be root's alone, e.g. /dev/net/tun 0600),
    alone in its directory (a tmpfs: the state directory may be on a nodev filesystem)."""

    def __init__(self, host_path: str, target: str):
        self.host_path, self.target = host_path, target


class RootProc:
    """A proc of the sandbox's own pid namespace at `target` (QEMU's 9p server changes modes
    through /proc/self/fd). Outside the kind's guest_dir: the guest never sees it."""

    def __init__(self, target: str):
        self.target = target


class RootTmpfs:
    """A tmpfs of the sandbox's root user alone at `target` (the lkl kind's /dev/shm)."""

    def __init__(self, target: str):
        self.target = target


RootNeed = RootBind | RootDevice | RootProc | RootTmpfs


class NetworkPlan:
    """The container's network as the guest must take it over (from eth0 in its netns)."""

    def __init__(self, tap: str, name: str, mac: str, mtu: int,
                 addresses: list[tuple[int, str, int]], gateways: list[tuple[int, str]],
                 dns_tap: str, dns_relay: str, dns_guest: str):
        self.tap, self.name, self.mac, self.mtu = tap, name, mac, mtu
        self.addresses = addresses  # (family 4|6, address, prefix)
        self.gateways = gateways  # (family 4|6, gateway)
        # The side link to the DNS relay in the container's netns (see ext/runu-dnsrelay.h).
        self.dns_tap, self.dns_relay, self.dns_guest = dns_tap, dns_relay, dns_guest


class NetworkFacts:
    """The guest's network as create left it: the taps the kernel opens, where the DNS relay
    listens, the namespace to give back at delete (None: it dies with the container), and
    eth0's MAC, first IPv4 address (CIDR) and gateway (for a kernel told them at boot)."""

    def __init__(self, tap: str, dns_tap: str, dns_relay: str, joined_netns: str | None = None,
                 mac: str = "", ipv4: str = "", gateway4: str = "", mtu: int = 0,
                 addresses: list[str] | None = None, gateways: list[str] | None = None):
        self.tap, self.dns_tap, self.dns_relay, self.joined_netns = tap, dns_tap, dns_relay, joined_netns
        self.mac, self.ipv4, self.gateway4 = mac, ipv4, gateway4
        # Every address (CIDR) and gateway of eth0, both families, for a stack told them at start.
        self.mtu, self.addresses, self.gateways = mtu, addresses or [], gateways or []


class ContainerFacts:
    """What create learnt that the later verbs need, saved in the state: the sandbox kind and
    what it chose (kernel, stdio mode), and the network handed to the guest."""

    def __init__(self, sandbox: str = "", stdio: str = "", kernel: str = "", kernel_version: str = "",
                 lpj: int = 0, network: NetworkFacts | None = None, cgroup: dict[str, str] | None = None,
                 guest_memory: int = 0, host_ids: int = 0, made_paths: list[str] | None = None,
                 pod: str = "", accel: str = "", arch: str = "", network_later: bool = False):
        self.sandbox, self.stdio = sandbox, stdio
        self.kernel, self.kernel_version, self.lpj = kernel, kernel_version, lpj
        self.network = network
        self.cgroup = cgroup or {}  # hierarchy -> the container's directory there (runu.cgroup)
        self.guest_memory = guest_memory  # bytes the guest was given at create
        self.host_ids = host_ids  # first host uid/gid of the sandbox's range (runu.idrange); 0: root
        self.made_paths = made_paths or []  # host paths create made outside the state, for delete
        self.pod = pod  # a pod's later container: the pod's sandbox container, whose kernel runs it
        self.accel = accel  # a VM's: "kvm" or "tcg"
        self.arch = arch  # the guest's architecture: its program's (runu.elfarch)
        # The kernel booted during create's hooks, before the hand-over, and its guest waited
        # for the network on the control line (SandboxKind.boots_before_network).
        self.network_later = network_later

    def to_dict(self) -> dict:
        return {**{k: v for k, v in self.__dict__.items() if k != "network"},
                "network": self.network.__dict__ if self.network else None}

    @classmethod
    def from_dict(cls, doc: dict) -> "ContainerFacts":
        network = doc.get("network")
        return cls(**{**doc, "network": NetworkFacts(**network) if network else None})


class SandboxKind:
    """A kernel kind, whole. The verbs and the lifecycle know it only through this: how it
    launches (the sandbox root it needs, the kernel's argv, the launcher's options), where stdio,
    the control channel and the kernel log travel, how the network is handed to the guest,
    what memory it takes, and what it reports in `runu features`.

    create: check_program() -> prepare() -> channels() -> launch_argv(); start: release();
    kill: signal()."""

    name = "base"
    is_default = False  # the kind of a spec that names none
    # runu-sandbox options the kind needs (e.g. "--no-aslr").
    launcher_flags: tuple[str, ...] = ()
    # Host memory the sandbox takes besides the guest's own (kernel text and data, page
    # tables, helpers): the cgroup's memory limit is the guest's memory plus this.
    memory_overhead = 0
    # Host processes the sandbox runs besides one per guest process: the pids limit adds them.
    pids_overhead = 0
    # The architectures (runu.elfarch's names) of the programs its guests run.
    arches: tuple[str, ...] = ("x86_64",)
    # A kind that serves only some programs (lkl: dynamically linked, one owning the network)
    # runs a container that names it, never one left to runu's choice.
    named_only = False
    # Signals the sandbox's init takes itself, ending the guest as they end a process that
    # does not handle them (a guest with no process to take them); the rest go to signal().
    init_signals: frozenset[int] = frozenset()

    # The container's program runs on the host kernel, in the rootfs (lkl): its mount points
    # are made in the rootfs, as runc makes them (its stdin is its own: runu-sandbox --enter
    # starts no relay).
    program_on_host = False
    # A guest agent (runu-init's) starts and lists processes in the sandbox: runu exec, ps --guest.
    has_agent = False
    # The kernel boots while create's hooks run (Docker's prestart hook takes over 100 ms), and
    # its guest takes the network handed over after them when the control line says "network"
    # (runu.abi.CONTROL_NETWORK); launch_argv then finds facts.network_later set. Otherwise it
    # boots once the network is handed over.
    boots_before_network = False

    @staticmethod
    def claims(rootfs: Path) -> bool:
        """Whether a rootfs is this kind's whatever the default (a Unikraft image's kernel)."""
        return False

    def check_program(self, rootfs: Path, process: dict) -> None:
        """At create, before anything is made: refuse a program the kind cannot run."""
    # Where the guest's own files (the rootfs, /meta, the volumes) are in the sandbox root: ""
    # (the root itself) for a kernel that sees all of it, a directory for one whose guest must
    # not see what runs it.
    guest_dir = ""

    def guest_memory(self, spec: dict) -> int:
        """Bytes of memory the guest gets (at create; a limit it cannot take raises); 0: the
        kind sizes nothing, the spec's limit bounds the sandbox as it is."""
        return 0

    def prepare(self, spec: dict, facts: ContainerFacts) -> list[RootNeed]:
        """At create: check the spec against the kind (memory, kernel), record what later phases
        need in `facts`, and return what the sandbox root needs besides the rootfs and binds."""
        raise NotImplementedError

    def kernel_stdio(self, stdio: tuple[int, int, int]) -> tuple[int, int, int]:
        """The descriptors the kernel gets as 0, 1, 2: the caller's `stdio`, or new ones (the
        caller closes them) where the kernel cannot use those as they are."""
        return stdio

    def channels(self, container_dir: Path) -> dict[int, int]:
        """At create: the descriptors (runu.abi numbers -> open fds) the kernel needs for its
        control channel; the caller closes them once the launcher has them."""
        raise NotImplementedError

    def launch_argv(self, spec: dict, facts: ContainerFacts) -> list[str]:
        """At create, once the network is handed over (before create's hooks, if
        facts.network_later): the kernel's argv, paths as seen inside the sandbox root. The
        kernel boots then, and its guest waits for release()."""
        raise NotImplementedError

    def release(self, container_dir: Path, is_running, networked: bool) -> None:
        """At start: let the booted guest run the container's process; `networked`: the
        container has a network handed over."""
        raise NotImplementedError

    def guest_network(self, plan: NetworkPlan) -> bytes:
        """How the container's network reaches the guest: /meta/network for its init."""
        raise NotImplementedError

    def signal(self, container_dir: Path, is_running, signum: int, all_processes: bool) -> None:
        """Deliver `signum` to the container's process (every process of the guest if
        `all_processes`); is_running() says whether the sandbox still lives."""
        raise NotImplementedError

    def features(self) -> dict[str, str]:
        """Annotations the kind understands, with their defaults (for `runu features`)."""
        return {}
