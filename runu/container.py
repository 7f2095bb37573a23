"""The container lifecycle: create, start, kill, delete, with one guard on status.

The sandbox's init, forked at `create` by the launcher it spawns, runs the kernel
as its child at `start` and ends with its status, so its pid is the container's
pid from creation to exit, as the caller (containerd's shim, or `runu run`)
expects.
"""

import json
import os
import signal
import time
from pathlib import Path

from runu import abi, events, lockwarmer, state as st
from runu.errors import RunuError
from runu.hooks import CREATE_PHASES, run_hooks
from runu.log import RuntimeLog
from runu.process import is_alive, rooted_in, start_time
from runu import sandbox as kinds
from runu.sandbox.base import NetworkFacts
from runu.spec import ANNOTATION_SANDBOX, annotation, load_spec, read_spec, rootfs_path
from runu.state import CREATED, CREATING, LIVE, PAUSED, RUNNING, STOPPED, ContainerDir, State, StateStore

KILL_WAIT_SECONDS = 10
NETWORK_REPORT = "network.report"  # what the eth0 hand-over took (runu-netplumb's report)
# The spec as create read it: later verbs use this copy, never the bundle's config.json again
# (the runtime-spec: changes to it after create do not affect the container).
SPEC_COPY = "config.json"


def require_status(state: State, action: str, *allowed: str) -> str:
    status = state.current_status()
    if status not in allowed:
        raise RunuError(f"cannot {action} container {state.id}: it is {status}")
    return status


class Runtime:
    """All operations on the containers under one --root."""

    def __init__(self, root: Path, log: RuntimeLog, systemd_cgroup: bool = False, sandbox: str | None = None):
        self.store = StateStore(root)
        self.log = log
        self.systemd_cgroup = systemd_cgroup  # linux.cgroupsPath is systemd's slice:prefix:name
        self.sandbox = sandbox  # --sandbox: the kind of a container whose spec names none

    # create -------------------------------------------------------------

    def create(self, container_id: str, bundle: Path, pid_file: str | None = None,
               console_socket: str | None = None) -> State:
        bundle = bundle.resolve()
        spec = load_spec(bundle)
        from runu import integrity, launcher, network  # only for the create path (integrity: hashing)
        from runu.netns import network_namespace
        from runu.elfarch import host_arch, program_arch
        from runu.pod import pod_of
        from runu.validate import unenforced_resources

        terminal = bool(spec["process"].get("terminal"))
        if terminal and not console_socket:
            raise RunuError("process.terminal is true: --console-socket is required")
        if (pod := pod_of(spec, container_id)) is not None:
            integrity.verify(bundle, spec)
            return self._create_member(container_id, bundle, spec, pod, terminal, pid_file, console_socket)
        with self.store.new(container_id) as cdir:
            state = _new_state(container_id, bundle, spec)
            launching = commit_fd = None
            try:
                # The launcher starts first, with only the container's cgroup, and joins it (a
                # first move into a cgroup waits out an RCU grace period) while the rest is
                # checked and worked out.
                cgroup = self._make_cgroup(cdir, state, spec)
                launching = launcher.start(container_id, cgroup)
                joined_netns = network_namespace(spec)
                for field in unenforced_resources(spec):
                    self.log.warning(f"{field} is not enforced by runu")
                rootfs = rootfs_path(bundle, spec)
                state.facts.arch = program_arch(rootfs, spec["process"]) or host_arch()
                sandbox = kinds.choose(annotation(spec, ANNOTATION_SANDBOX, "") or self.sandbox, state.facts.arch,
                                       rootfs)
                sandbox.check_program(rootfs, spec["process"])
                integrity.verify(bundle, spec)
                later = state.facts.network_later = (sandbox.boots_before_network and
                                                     network.may_arrive(spec, joined_netns))
                commit_fd = self._spawn_sandbox(cdir, state, spec, sandbox, cgroup, launching, terminal,
                                                console_socket)
                lockwarmer.stop()  # the launcher has joined the cgroup: the lock's warming is done
                if later:
                    # The kernel boots while the hooks run; its guest sets up, then waits for
                    # the network's hand-over.
                    _launch(cdir, state, sandbox.launch_argv(spec, state.facts))
                    _commit(commit_fd)
                    commit_fd = None
                hook_state = state.hook_state(CREATING)
                for phase in CREATE_PHASES:
                    run_hooks(spec, phase, hook_state)
                self._take_over_network(cdir, state, sandbox, joined_netns)
                if pid_file:
                    write_atomic(Path(pid_file), f"{state.pid}")
                state.status = CREATED
                cdir.save(state)
                if not later:
                    # The kernel boots now, while the caller goes on to start (containerd takes
                    # tens of ms); its guest sets up and says ready, then waits for start (release).
                    _launch(cdir, state, sandbox.launch_argv(spec, state.facts))
            except BaseException:
                self._abandon(cdir, state, launching, commit_fd)
                raise
            # Logged before the sandbox may go on: its guest's "ready" comes after "created".
            events.record(self.store.root, container_id, "created")
            if later:
                _hand_network_to_guest(cdir, state)
            else:
                _commit(commit_fd)
        return state

    def _create_member(self, container_id: str, bundle: Path, spec: dict, pod_id: str, terminal: bool,
                       pid_file: str | None, console_socket: str | None) -> State:
        """A pod's later container: mounted into the pod's sandbox, its stand-in waiting (runu.pod)."""
        from runu import caller, launcher, pod
        from runu.guest import describe
        from runu.stdio import stdio_mode

        caller.require_own_process("a pod's container: its stand-in is our child")

        with self.store.open(pod_id) as pod_cdir:
            pod_state = pod_cdir.load()
            require_status(pod_state, f"add container {container_id} to the pod of", RUNNING)
        with self.store.new(container_id) as cdir:
            state = _new_state(container_id, bundle, spec)
            facts = state.facts
            facts.pod, facts.sandbox, facts.host_ids = pod_id, pod_state.facts.sandbox, pod_state.facts.host_ids
            facts.stdio = "terminal" if terminal else stdio_mode(0)
            root, guest = pod.member_root(pod_cdir.path / "sandbox", container_id), pod.guest_root(container_id)
            desc = describe(spec, facts.stdio, guest)
            cdir.save(state)
            (cdir.path / SPEC_COPY).write_text(json.dumps(spec))
            console = None
            try:
                root.mkdir(parents=True)
                pod.attach(pod_state.pid, launcher.member_root_args(
                    root, guest, Path(state.rootfs), bool(spec["root"].get("readonly")), desc.host_mounts,
                    facts.host_ids, facts.made_paths))
                if terminal:
                    from runu.console import open_console

                    console = open_console(console_socket)
                state.pid = pod.start_relay(cdir.path, pod_cdir.path, container_id, desc.encode(), console)
                state.pid_start = start_time(state.pid)
                if pid_file:
                    write_atomic(Path(pid_file), f"{state.pid}")
                state.status = CREATED
                cdir.save(state)
            except BaseException:
                _remove_member(cdir, state, pod_state.pid)
                raise
            finally:
                if console is not None:
                    os.close(console)
        events.record(self.store.root, container_id, "created")
        return state

    def _spawn_sandbox(self, cdir: ContainerDir, state: State, spec: dict, sandbox, cgroup, launching,
                       terminal: bool, console_socket: str | None) -> int:
        """Work out the rest of the sandbox (the guest described, limits set, the sandbox root
        planned), hand it to the `launching` launcher, and return the fd that commits it (see
        launcher.Launched)."""
        # Imported here: state, kill and delete (most runu calls) never need them.
        from runu.guest import describe
        from runu.stdio import outputs_merged, stdio_mode

        facts = state.facts
        facts.sandbox = sandbox.name
        facts.stdio = "terminal" if terminal else stdio_mode(0)
        (cdir.path / SPEC_COPY).write_text(json.dumps(spec))
        desc = describe(spec, facts.stdio, merged=outputs_merged())
        needs = sandbox.prepare(spec, facts)
        facts.guest_memory = sandbox.guest_memory(spec)
        self._limit_cgroup(cgroup, spec, sandbox, facts.guest_memory)
        args = self._sandbox_root_args(cdir, state, spec, sandbox, needs, desc)
        launched = self._finish_launcher(cdir, state, sandbox, launching, args, terminal, console_socket)
        state.pid, state.pid_start = launched.pid, start_time(launched.pid)
        cdir.save(state)
        return launched.commit_fd

    def _finish_launcher(self, cdir: ContainerDir, state: State, sandbox, launching, root_args: list[str],
                         terminal: bool, console_socket: str | None):
        """The launcher's descriptors and flags, then `root_args`; see launcher.Launching."""
        from runu import agent

        os.mkfifo(cdir.path / "launch.fifo", 0o600)
        fds = {
            **sandbox.channels(cdir.path),
            abi.FD_AGENT_LISTEN: agent.listen(cdir.path),
            abi.FD_LAUNCH: os.open(cdir.path / "launch.fifo", os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC),
            # Appended to by the kernel and by the monitor (a seccomp violation).
            abi.FD_KERNEL_LOG: os.open(cdir.path / "kernel.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC,
                                       0o600),
            abi.FD_READY: os.open(cdir.path / "ready", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600),
            abi.FD_EVENTS_LOG: events.open_for_sandbox(self.store.root),
        }
        flags = [*(["--tty"] if terminal else []), *(["--relay-stdin"] if state.facts.stdio == "pipes" else []),
                 *sandbox.launcher_flags, *self._monitor_logs(fds)]
        try:
            slave = None
            if terminal:
                from runu.console import open_console  # socket.py: only for a terminal

                slave = open_console(console_socket)
            stdio = (slave, slave, slave) if slave is not None else sandbox.kernel_stdio((0, 1, 2))
            try:
                return launching.finish([*flags, *root_args], stdio, fds)
            finally:
                for fd in {*stdio} - {0, 1, 2}:
                    os.close(fd)
        finally:
            for fd in fds.values():
                os.close(fd)

    def _sandbox_root_args(self, cdir: ContainerDir, state: State, spec: dict, sandbox, needs, desc) -> list[str]:
        """The launcher's namespaces and sandbox root; the guest's process description in place."""
        from runu import launcher
        from runu.pod import MEMBERS, is_pod_sandbox

        facts = state.facts
        if spec["root"].get("readonly") or sandbox.program_on_host:
            from runu.mountpoints import ensure_all

            ensure_all(Path(state.rootfs), spec.get("mounts", []))
        root = cdir.path / "sandbox"
        meta = _meta_dir(cdir, sandbox)
        meta.mkdir(parents=True)
        (meta / "process").write_bytes(desc.encode())
        facts.host_ids = self._host_ids(cdir, Path(state.rootfs), desc.host_mounts)
        cdir.save(state)  # an interrupted create still finds the range to give back
        args = launcher.namespace_args(spec) + launcher.root_args(
            root, Path(state.rootfs), bool(spec["root"].get("readonly")), needs, desc.host_mounts,
            facts.host_ids, facts.made_paths, sandbox.guest_dir)
        if is_pod_sandbox(spec):
            # Where the pod's later containers get mounted (runu.pod): writable, unlike the rest.
            (root / MEMBERS).mkdir()
            args += ["--bind", str(root / MEMBERS), MEMBERS, "rw"]
        cdir.save(state)
        return args

    def _host_ids(self, cdir: ContainerDir, rootfs: Path, host_mounts) -> int:
        """A leased id range for the sandbox, or 0 (the host's own ids, in a user namespace all
        the same) when some of the container's files live where no idmapped mount reaches."""
        from runu import idrange
        from runu.idmap import unmappable
        from runu.launcher import idmap_sources

        blocked = unmappable(idmap_sources(rootfs, host_mounts))
        if blocked:
            path, fstype = blocked[0]
            self.log.warning(f"{path} is on {fstype}, which cannot be idmapped: the sandbox runs as the host's "
                             "uid 0 (in a user namespace of its own, with file capabilities only)")
            return 0
        return idrange.allocate(cdir.path)

    def _make_cgroup(self, cdir: ContainerDir, state: State, spec: dict):
        """The container's cgroup, made before any of its processes exists (limits come later,
        before any of them runs: _limit_cgroup)."""
        from runu.cgroup import Cgroup

        cgroup = Cgroup.at(spec.get("linux", {}).get("cgroupsPath", ""), state.id, self.systemd_cgroup)
        state.facts.cgroup = cgroup.to_list()
        cdir.save(state)  # an interrupted create still finds it to remove
        cgroup.create()
        return cgroup

    def _limit_cgroup(self, cgroup, spec: dict, sandbox, guest_memory: int) -> None:
        resources = spec.get("linux", {}).get("resources") or {}
        for field in cgroup.apply(resources, sandbox, guest_memory):
            self.log.warning(f"{field} is not enforced: this host's cgroups have no control for it")

    def _monitor_logs(self, fds: dict[int, int]) -> list[str]:
        """Where the sandbox's monitor reports a seccomp violation (the runtime log, if any) and,
        in learning mode (RUNU_SECCOMP_LEARN=FILE), records every call the sandbox makes."""
        flags = []
        append = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
        if self.log.path is not None:
            fds[abi.FD_RUNTIME_LOG] = os.open(self.log.path, append, 0o600)
            flags += ["--log-json"] if self.log.fmt == "json" else []
        if learned := os.environ.get("RUNU_SECCOMP_LEARN"):
            fds[abi.FD_SECCOMP_LEARNED] = os.open(learned, append, 0o600)
            flags.append("--seccomp-learn")
        return flags

    def _abandon(self, cdir: ContainerDir, state: State, launching, commit_fd: int | None) -> None:
        """Undo a failed create: no process, no state directory, the network given back."""
        if launching is not None:
            launching.abandon()
        if commit_fd is not None:
            os.close(commit_fd)  # the launcher gives up by itself on EOF
        if state.pid:
            try:
                _end_container(cdir, state)
            except RunuError as e:  # the create's own error is the one to report
                self.log.warning(str(e))
        self._give_back_network(cdir, state)
        try:
            _remove_cgroup(state)
        except RunuError as e:
            self.log.warning(str(e))
        _release_host_leases(state)
        cdir.remove()

    # start --------------------------------------------------------------

    def start(self, container_id: str) -> State:
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            # The guest boots at create: one that ended in its setup before start (a sysctl it
            # has not, a mount that failed) is a process that exited at once. start succeeds
            # (release finds it gone), and its status and stderr say why, whatever the timing.
            if not (state.status == CREATED and not state.facts.pod and state.current_status() == STOPPED):
                require_status(state, "start", CREATED)
            spec = _saved_spec(cdir, state)
            run_hooks(spec, "startContainer", state.hook_state())
            if state.facts.pod:
                from runu.pod import release

                release(cdir.path, lambda: is_alive(state.pid, state.pid_start))
            else:
                kinds.lookup(state.facts.sandbox).release(cdir.path, lambda: is_alive(state.pid, state.pid_start),
                                                          networked=state.facts.network is not None)
            state.status = RUNNING
            cdir.save(state)
        events.record(self.store.root, container_id, "started")
        try:
            run_hooks(spec, "poststart", state.hook_state())
        except RunuError as e:
            self.log.warning(str(e))
        return state

    def _take_over_network(self, cdir: ContainerDir, state: State, sandbox, joined_netns: str | None) -> None:
        """Hand eth0 of the container's netns to the guest, if Docker's hook put one there
        (at create: the hook has run, and start stays short). A namespace joined by path
        outlives the container: remember it, for delete to give eth0 back."""
        from runu import network

        plan = network.take_over(state.pid, cdir.path / NETWORK_REPORT, state.facts.host_ids)
        if plan is not None:
            (_meta_dir(cdir, sandbox) / "network").write_bytes(sandbox.guest_network(plan))
            ipv4 = next((f"{addr}/{prefix}" for family, addr, prefix in plan.addresses if family == 4), "")
            gateway4 = next((gateway for family, gateway in plan.gateways if family == 4), "")
            state.facts.network = NetworkFacts(
                plan.tap, plan.dns_tap, plan.dns_relay, joined_netns, plan.mac, ipv4, gateway4, plan.mtu,
                [f"{addr}/{prefix}" for _, addr, prefix in plan.addresses], [gateway for _, gateway in plan.gateways])

    def _give_back_network(self, cdir: ContainerDir, state: State) -> None:
        """At delete (the guest gone): undo the hand-over in a namespace that outlives us."""
        joined = state.facts.network.joined_netns if state.facts.network else None
        if not joined or not (cdir.path / NETWORK_REPORT).exists():
            return
        from runu.netplumb import give_back

        try:
            give_back(joined, cdir.path / NETWORK_REPORT)
        except RunuError as e:
            self.log.warning(f"container {state.id}: giving {joined} its network back: {e}")

    # kill / delete ------------------------------------------------------

    def kill(self, container_id: str, signum: int, all_processes: bool = False) -> None:
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            status = state.current_status()
            if status not in LIVE:
                # containerd recognises runc's words for a kill that lost the race with exit.
                raise RunuError("container not running")
            kind = kinds.lookup(state.facts.sandbox)
            if status == CREATED or signum == signal.SIGKILL or state.facts.pod or signum in kind.init_signals:
                # A pod's container: its stand-in forwards the signal to its process.
                # Before start there is no guest; SIGKILL ends the sandbox at once
                # (a frozen sandbox takes it once thawed).
                os.kill(state.pid, signum)
                if status == PAUSED:
                    _cgroup(state).thaw()
                return
        # The kind's channel needs no lock: a delete meanwhile shows as the sandbox gone.
        kind.signal(cdir.path, lambda: is_alive(state.pid, state.pid_start), signum, all_processes)

    def delete(self, container_id: str, force: bool = False) -> None:
        if force and not (self.store.root / container_id).exists():
            return  # runc's --force: deleting what is already gone succeeds
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            status = state.current_status()
            if status == RUNNING and not force:
                raise RunuError(f"cannot delete container {container_id} that is not stopped: {status}")
            if state.facts.pod:
                _remove_member(cdir, state, self._pod_pid(state.facts.pod))
                events.record(self.store.root, container_id, "deleted")
                return
            self._end_members(cdir)
            if state.pid:
                _end_container(cdir, state)
            self._give_back_network(cdir, state)
            _remove_cgroup(state)
            _release_host_leases(state)
            if state.bundle and status != CREATING:
                try:
                    run_hooks(_saved_spec(cdir, state), "poststop", state.hook_state(STOPPED))
                except RunuError as e:
                    self.log.warning(str(e))
            cdir.remove()
        events.record(self.store.root, container_id, "deleted")

    def state(self, container_id: str) -> State:
        with self.store.open(container_id) as cdir:
            return cdir.load()

    def _pod_pid(self, pod_id: str) -> int | None:
        """The pod's sandbox process, if it still runs."""
        try:
            with self.store.open(pod_id) as cdir:
                state = cdir.load()
        except RunuError:
            return None
        return state.pid if state.current_status() in LIVE else None

    def _end_members(self, cdir: ContainerDir) -> None:
        """A pod's sandbox ends after its containers: their stand-ins first (each kills its process)."""
        from runu.pod import MEMBERS

        members = cdir.path / "sandbox" / MEMBERS
        for member in sorted(p.name for p in members.iterdir()) if members.is_dir() else []:
            try:
                with self.store.open(member) as member_dir:
                    state = member_dir.load()
            except RunuError:
                continue
            if state.current_status() in LIVE:
                _kill_and_wait(state.pid, state.pid_start)

    # pause / resume / update / stats --------------------------------------

    def pause(self, container_id: str) -> None:
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            require_status(state, "pause", RUNNING, CREATED)
            self._cgroup_of(state).freeze()
            state.status = PAUSED
            cdir.save(state)
        events.record(self.store.root, container_id, "paused")

    def resume(self, container_id: str) -> None:
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            if state.current_status() != PAUSED:
                raise RunuError(f"container {container_id} is not paused")
            self._cgroup_of(state).thaw()
            state.status = RUNNING
            cdir.save(state)
        events.record(self.store.root, container_id, "resumed")

    def update(self, container_id: str, resources: dict) -> list[str]:
        """Apply new linux.resources to a live container; return the fields not enforced. A guest
        sized at boot keeps its memory: a different memory limit is refused."""
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            require_status(state, "update", *LIVE)
            sandbox = kinds.lookup(state.facts.sandbox)
            guest = state.facts.guest_memory
            limit = (resources.get("memory") or {}).get("limit")
            if guest and limit not in (None, 0, -1) and limit != guest:
                raise RunuError(f"memory limit {limit} differs from the guest's {guest} bytes, fixed when "
                                "its kernel booted (a sandbox kernel cannot grow or give back memory)")
            spec = _saved_spec(cdir, state)
            merged = _merge_resources(spec.get("linux", {}).get("resources") or {}, resources)
            unenforced = self._cgroup_of(state).apply(merged, sandbox, guest)
            spec.setdefault("linux", {})["resources"] = merged
            (cdir.path / SPEC_COPY).write_text(json.dumps(spec))  # the next update starts from here
            return unenforced

    def stats(self, container_id: str) -> dict:
        """runc's statistics of the cgroup, and under "guest" the guest kernel's own view of its
        memory and CPU (a running guest's agent answers; a paused one cannot, and a kind with
        no agent has none to ask)."""
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            status = require_status(state, "read the statistics of", *LIVE)
            from runu.cgroup.stats import stats

            data = stats(self._cgroup_of(state).dirs)
            if status == "running" and kinds.lookup(state.facts.sandbox).has_agent:
                from runu.agent import guest_stats

                data["guest"] = guest_stats(cdir.path, container_id)
            return data

    def agent_session(self, container_id: str, action: str):
        """The container's spec, a session with its guest's agent (the container must run), and
        what an exec description starts with (a pod's container: the process to join)."""
        from runu.agent import Session

        with self.store.open(container_id) as cdir:
            state = cdir.load()
            if (status := state.current_status()) != RUNNING:
                raise RunuError(f"cannot {action} a {status} container")  # runc's words
            _require_agent(state, action)
            if not state.facts.pod:
                return _saved_spec(cdir, state), Session(cdir.path, container_id), b""
            from runu.pod import join_prefix

            prefix = join_prefix(cdir.path)
            return _saved_spec(cdir, state), Session(self.store.root / state.facts.pod, container_id), prefix

    def guest_processes(self, container_id: str) -> list[tuple[int, int, int, str]]:
        """The guest's processes, its init left out: (pid, ppid, uid, command line)."""
        from runu.agent import processes

        with self.store.open(container_id) as cdir:
            state = cdir.load()
            require_status(state, "list the guest processes of", "running")
            _require_agent(state, "list the guest processes of")
            if not state.facts.pod:
                return processes(cdir.path, container_id)
            from runu.pod import join_prefix

            return processes(self.store.root / state.facts.pod, container_id, join_prefix(cdir.path))

    def processes(self, container_id: str) -> list[int]:
        """The host pids of the sandbox: every process in its cgroup."""
        with self.store.open(container_id) as cdir:
            state = cdir.load()
            require_status(state, "list the processes of", *LIVE)
            return self._cgroup_of(state).pids()

    @staticmethod
    def _cgroup_of(state: State):
        cgroup = _cgroup(state)
        if cgroup is None and state.facts.pod:
            raise RunuError(f"container {state.id} runs in the kernel of pod {state.facts.pod}, in its cgroup: "
                            "pause, resume, update and statistics are the pod's")
        if cgroup is None:
            raise RunuError(f"container {state.id} has no cgroup (made by a runu before cgroups)")
        return cgroup

    def list(self) -> list[State]:
        states = []
        for cid in self.store.ids():
            try:
                states.append(self.state(cid))
            except RunuError:
                continue  # deleted meanwhile
        return states


def _new_state(container_id: str, bundle: Path, spec: dict) -> State:
    return State(id=container_id, bundle=str(bundle), annotations=spec.get("annotations", {}),
                 created=st.now_iso(), rootfs=str(rootfs_path(bundle, spec)))


def _saved_spec(cdir: ContainerDir, state: State) -> dict:
    """The spec create read; the bundle's only for a container made by a runu that kept no copy."""
    copy = cdir.path / SPEC_COPY
    return read_spec(copy if copy.exists() else Path(state.bundle) / "config.json")


def _merge_resources(old: dict, new: dict) -> dict:
    """runc update's rule: what the update names replaces, the rest stays."""
    merged = {group: dict(values) for group, values in old.items() if isinstance(values, dict)}
    for group, values in new.items():
        if isinstance(values, dict):
            merged.setdefault(group, {}).update({k: v for k, v in values.items() if v is not None})
    return merged


def _meta_dir(cdir: ContainerDir, sandbox) -> Path:
    """/meta as the guest's init mounts it: the container's description, its network."""
    return cdir.path / "sandbox" / sandbox.guest_dir / "meta"


def _launch(cdir: ContainerDir, state: State, argv: list[str]) -> None:
    """Hand the sandbox process its launch message (format: ext/runu-sandbox.c); it reads it
    once create commits the sandbox. The DNS relay's address comes with the hand-over: the
    launcher binds it before, for a network that comes later."""
    facts = state.facts
    if facts.network:
        dns_relay = facts.network.dns_relay
    elif facts.network_later:
        from runu.netplumb import DNS_RELAY

        dns_relay = DNS_RELAY
    else:
        dns_relay = "-"
    message = b"".join(t.encode() + b"\0" for t in (_pick_cpu(state.id), dns_relay, *argv)) + b"\0"
    try:
        fd = os.open(cdir.path / "launch.fifo", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        raise RunuError(f"container {state.id}: its sandbox process is gone") from None
    try:
        os.write(fd, message)
    finally:
        os.close(fd)


def _commit(commit_fd: int) -> None:
    """Let the sandbox go on (launcher.Launched): it runs the kernel its launch message names."""
    os.write(commit_fd, b"c")
    os.close(commit_fd)


def _hand_network_to_guest(cdir: ContainerDir, state: State) -> None:
    """Tell a guest that booted during the hooks that its network (or none) is handed over."""
    from runu.sandbox.linuxguest import control_line

    try:
        control_line(cdir.path, abi.CONTROL_NETWORK.encode() + b"\n")
    except RunuError:
        if is_alive(state.pid, state.pid_start):
            raise  # a sandbox killed meanwhile has no line left: its status says it stopped


def _pick_cpu(container_id: str) -> str:
    """Pin each sandbox to one CPU: a guest syscall is a handoff between two host
    processes, and an unpinned handoff wakes an idle CPU. Spread ids over CPUs."""
    cpus = sorted(os.sched_getaffinity(0))
    return str(cpus[sum(container_id.encode()) % len(cpus)])


def _end_container(cdir: ContainerDir, state: State) -> None:
    """SIGKILL the kernel, then wait until nothing of the container runs: its helpers (the
    monitor, the kernel's own processes) are found by their root, the sandbox's; they end
    by themselves once the kernel has, and are killed if they linger. Raises when they will
    not end, so that delete keeps the state of what still runs."""
    cgroup = _cgroup(state)
    if cgroup is not None and cgroup.is_frozen():
        cgroup.thaw()  # a frozen process takes its SIGKILL only once thawed
    _kill_and_wait(state.pid, state.pid_start)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    root = (cdir.path / "sandbox").resolve()
    while left := rooted_in(root) | set(cgroup.pids() if cgroup else ()):
        if time.monotonic() > deadline:
            raise RunuError(f"container {state.id}: processes {sorted(left)} did not end")
        if time.monotonic() > deadline - KILL_WAIT_SECONDS / 2:
            for pid in left:
                _signal(pid, signal.SIGKILL)
        _reap_children()
        time.sleep(0.002)


def _remove_member(cdir: ContainerDir, state: State, pod_pid: int | None) -> None:
    """A pod's container gone: its stand-in ended, its mounts out of the pod's sandbox."""
    from runu.pod import detach, member_root

    if state.pid and is_alive(state.pid, state.pid_start):
        _kill_and_wait(state.pid, state.pid_start)
    pod_dir = cdir.path.parent / state.facts.pod
    root = member_root(pod_dir / "sandbox", state.id)
    if pod_pid:
        detach(pod_pid, root)
    if root.is_dir():
        import shutil

        shutil.rmtree(root, ignore_errors=True)
    _remove_made_paths(state)
    cdir.remove()


def _cgroup(state: State):
    if not state.facts.cgroup:
        return None
    from runu.cgroup import Cgroup

    return Cgroup(state.facts.cgroup)


def _remove_made_paths(state: State) -> None:
    """Host paths create made outside the state directory (an overlay work directory)."""
    import shutil

    for path in state.facts.made_paths:
        shutil.rmtree(path, ignore_errors=True)


def _release_host_leases(state: State) -> None:
    """What create took on the host outside the state directory: the id range, the paths made."""
    _remove_made_paths(state)
    if state.facts.host_ids:
        from runu import idrange

        idrange.release(state.facts.host_ids)


def _require_agent(state: State, action: str) -> None:
    """A RunuError for a sandbox with no guest agent to ask (its program runs alone)."""
    if not kinds.lookup(state.facts.sandbox).has_agent:
        raise RunuError(f"cannot {action} a container of the {state.facts.sandbox} sandbox kind: it runs its "
                        f"program alone, with no guest agent to start or list processes (the "
                        f"{', '.join(kinds.with_agent())} kinds have one)")


def _remove_cgroup(state: State) -> None:
    if (cgroup := _cgroup(state)) is not None:
        cgroup.remove()


def _signal(pid: int, signum: int) -> None:
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass  # not ours: our caller reaps it


def _reap_children() -> None:
    """Reap whatever children of ours have ended (runu run adopts the sandbox's helpers)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def _kill_and_wait(pid: int, started: int | None) -> None:
    if not is_alive(pid, started):
        _reap(pid)  # ended by itself: if it is our child (runu run, a library caller), reap it
        return
    _signal(pid, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while is_alive(pid, started):
        if time.monotonic() > deadline:
            raise RunuError(f"process {pid} did not end {KILL_WAIT_SECONDS} s after SIGKILL")
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            pass  # not ours: our caller reaps it
        time.sleep(0.002)


def write_atomic(path: Path, text: str) -> None:
    """Readers (containerd reading a pid file) see the old content or the whole new one."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def exit_code(status: int) -> int:
    """A wait status as a shell reports it: the exit code, or 128 + the signal."""
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
