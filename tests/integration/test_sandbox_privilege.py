"""The sandbox holds no privilege: its kernel and helpers run as the container's own host ids
in their own user and pid namespaces, with only the file capabilities that act on the
container's files, no_new_privs and the kind's seccomp allow-list. Checked from the host, and
by a stand-in for a compromised kernel launched exactly as the kernel is."""

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from runu import sandbox as kinds
from runu.container import Runtime
from runu.idrange import RANGE_BASE, RANGE_SIZE
from runu.log import RuntimeLog
from runu.sandbox.base import RootBind
from runu.sandbox.uml import UmlSandbox
from runu.spec import ANNOTATION_SANDBOX

ESCAPE = Path(__file__).resolve().parent.parent / "escape"
# CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_FSETID: in the sandbox's user namespace only.
FILE_CAPABILITIES = 0x1B


def status(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def sandbox_pids(pid: int) -> list[int]:
    cgroup = dict(line.split(":", 2)[1:] for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines())
    return [int(p) for p in Path(f"/sys/fs/cgroup/pids{cgroup['pids']}/cgroup.procs").read_text().split()]


@pytest.fixture
def running(runu, make_bundle):
    runu("run", "-d", "-b", str(make_bundle(["sleep", "100"])), "c1", stdin=open(os.devnull))
    time.sleep(1)
    return runu.state("c1")["pid"]


def kernel_of(init: int) -> int:
    """The kernel: the child of the container's process (the sandbox's init) that runs /kernel."""
    children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
    return next(int(c) for c in children if Path(f"/proc/{c}/cmdline").read_bytes().startswith(b"/kernel\0"))


@pytest.mark.parametrize("which", ["init", "kernel"])
def test_the_container_process_and_its_kernel_are_unprivileged_from_the_hosts_view(running, which):
    pid = running if which == "init" else kernel_of(running)
    s = status(pid)
    uids, gids = s["Uid"].split(), s["Gid"].split()
    assert len(set(uids)) == 1 and RANGE_BASE <= int(uids[0]) < RANGE_BASE * 2, s["Uid"]
    assert gids == uids
    assert int(s["CapEff"], 16) == FILE_CAPABILITIES and int(s["CapBnd"], 16) == FILE_CAPABILITIES
    assert int(s["CapAmb"], 16) == 0 and int(s["CapInh"], 16) == 0
    assert s["NoNewPrivs"] == "1" and s["Seccomp"] == "2"
    # In a pid namespace of its own: the container's process is its init, the kernel pid 2.
    assert s["NSpid"].split()[-1] == ("1" if which == "init" else "2")
    for ns in ("user", "pid", "mnt"):
        assert os.readlink(f"/proc/{pid}/ns/{ns}") != os.readlink(f"/proc/self/ns/{ns}"), ns


def test_every_process_of_the_sandbox_runs_as_its_ids_without_privilege(running):
    kernel_uid = status(running)["Uid"].split()[0]
    pids = sandbox_pids(running)
    assert len(pids) >= 3
    for pid in pids:
        s = status(pid)
        assert s["Uid"].split() == [kernel_uid] * 4, (pid, s["Name"])
        assert int(s["CapEff"], 16) & ~FILE_CAPABILITIES == 0 and s["NoNewPrivs"] == "1", (pid, s["Name"])
        # The monitor stays beside the pid namespace, outside the filter, with no capability.
        if len(s["NSpid"].split()) == 1:
            assert s["Name"] == "runu-sandbox" and int(s["CapEff"], 16) == 0
        else:
            assert s["Seccomp"] == "2", (pid, s["Name"])


def test_two_sandboxes_own_different_id_ranges(runu, make_bundle, running):
    runu("run", "-d", "-b", str(make_bundle(["sleep", "100"])), "c2", stdin=open(os.devnull))
    other = runu.state("c2")["pid"]
    first, second = (int(status(p)["Uid"].split()[0]) for p in (running, other))
    assert abs(first - second) >= RANGE_SIZE


def test_files_the_guest_writes_keep_the_owners_it_gives_them(runu, make_bundle, tmp_path):
    (tmp_path / "out").mkdir()
    mount = {"destination": "/out", "type": "bind", "source": str(tmp_path / "out"), "options": ["rbind", "rw"]}

    def edit(spec):
        spec["mounts"].append(mount)
        for kind in ("bounding", "effective", "permitted"):
            spec["process"]["capabilities"][kind].append("CAP_CHOWN")

    script = "echo a > /out/root-made; echo b > /out/given; chown 1000:1001 /out/given; ls -ln /out"
    result = runu("run", "-b", str(make_bundle(["sh", "-c", script], edit=edit)), "c1")
    assert b" 1000     1001 " in result.stdout  # the guest sees what it gave
    owner = (tmp_path / "out" / "given").stat()
    assert (owner.st_uid, owner.st_gid) == (1000, 1001)
    made = (tmp_path / "out" / "root-made").stat()
    assert (made.st_uid, made.st_gid) == (0, 0)


# A stand-in for a compromised kernel ------------------------------------------------------

@pytest.fixture(scope="module")
def probe(tmp_path_factory) -> Path:
    binary = tmp_path_factory.mktemp("probe") / "probe"
    subprocess.run(["gcc", "-static", "-O2", "-o", str(binary), str(ESCAPE / "probe.c")], check=True)
    return binary


@kinds.register
class CompromisedKernel(UmlSandbox):
    """The UML kind's whole launch (ids, capabilities, seccomp list, namespaces, sandbox root)
    with the probe in the kernel's place."""

    name = "test-compromised-kernel"
    is_default = False
    takes_early_start = False  # no control line: start waits for the probe's end, as it says nothing
    probe: Path = Path("/nonexistent")
    attempt: list[str] = []

    def prepare(self, spec, facts):
        super().prepare(spec, facts)
        return [RootBind(str(self.probe), "kernel"), RootBind("/dev/null", "dev/null", readonly=False)]

    def channels(self, container_dir):
        return {}

    def launch_argv(self, spec, facts):
        return ["/kernel", *self.attempt]


def run_probe(make_bundle, tmp_path, probe, *attempt) -> tuple[str, str]:
    """Launch the probe as the kernel; return what it printed and kernel.log."""
    CompromisedKernel.probe, CompromisedKernel.attempt = probe, list(attempt)
    out = tmp_path / "probe.out"
    bundle = make_bundle(["true"], edit=lambda s: s.setdefault("annotations", {}).update(
        {ANNOTATION_SANDBOX: CompromisedKernel.name}))
    runtime = Runtime(tmp_path / "state", RuntimeLog(str(tmp_path / "runtime.log")))
    with open(out, "wb") as stdout:
        saved = os.dup(1)
        os.dup2(stdout.fileno(), 1)
        try:
            runtime.create("c1", bundle)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
    runtime.start("c1")
    deadline = time.monotonic() + 10
    while runtime.state("c1").current_status() != "stopped":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    kernel_log = (tmp_path / "state" / "c1" / "kernel.log").read_text()
    runtime.delete("c1")
    return out.read_text(), kernel_log


@pytest.mark.parametrize("attempt", [["mount"], ["chroot"], ["mknod"], ["setuid"]])
def test_a_compromised_kernel_cannot_take_privilege(make_bundle, tmp_path, probe, attempt):
    """Each attempt fails (EPERM) or makes a call outside the allow-list (the warden kills it)."""
    printed, kernel_log = run_probe(make_bundle, tmp_path, probe, *attempt)
    assert printed.startswith("alive\n"), printed
    assert "done" not in printed
    assert printed.startswith("alive\ndenied EPERM") or "allow-list does not hold" in kernel_log, (printed, kernel_log)


def test_a_compromised_kernel_cannot_signal_a_host_process(make_bundle, tmp_path, probe):
    sleeper = subprocess.Popen(["sleep", "60"])
    try:
        printed, _ = run_probe(make_bundle, tmp_path, probe, "signal", str(sleeper.pid))
        assert printed == "alive\ndenied ESRCH\n"  # no host process is there to name
        assert sleeper.poll() is None
    finally:
        sleeper.kill()
        sleeper.wait()


def test_a_compromised_kernel_cannot_reach_the_hosts_files(make_bundle, tmp_path, probe):
    secret = tmp_path / "secret"
    secret.write_text("host only")
    for path in (str(secret), "/etc/shadow", "/../../../../../" + str(secret), "/rootfs/../../" + str(secret)):
        printed, _ = run_probe(make_bundle, tmp_path, probe, "read", path)
        assert printed == "alive\ndenied ENOENT\n", path


def test_a_call_outside_the_allow_list_kills_the_sandbox_and_is_logged(make_bundle, tmp_path, probe):
    printed, kernel_log = run_probe(make_bundle, tmp_path, probe, "mount")
    assert printed == "alive\n"  # it never got an answer
    assert "the system call mount (165)" in kernel_log and "the sandbox is killed" in kernel_log
    assert "the system call mount (165)" in (tmp_path / "runtime.log").read_text()


@pytest.fixture
def overlay_rootfs(tmp_path, busybox_tree):
    """A rootfs inside an overlay mounted here (not its root, which runu rebuilds from layers):
    files no idmapped mount can serve, like a bundle in /tmp of a container on overlay."""
    lower, upper, work, merged = (tmp_path / n for n in ("lower", "upper", "work", "merged"))
    shutil.copytree(busybox_tree, lower / "rootfs", symlinks=True)
    for d in (upper, work, merged):
        d.mkdir()
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o", f"lowerdir={lower},upperdir={upper},workdir={work}",
                    str(merged)], check=True)
    yield merged / "rootfs"
    subprocess.run(["umount", str(merged)], check=True)


def test_files_no_idmapped_mount_serves_keep_the_sandbox_in_its_namespace_as_host_root(
        runu, make_bundle, overlay_rootfs, tmp_path):
    def edit(spec):
        spec["root"]["path"] = str(overlay_rootfs)

    bundle = make_bundle(["sh", "-c", "echo made > /made; sleep 100"], edit=edit)
    result = runu("run", "-d", "-b", str(bundle), "c1", stdin=open(os.devnull))
    assert b"is on overlay, which cannot be idmapped" in result.stderr
    time.sleep(1)
    s = status(kernel_of(runu.state("c1")["pid"]))
    assert s["Uid"].split() == ["0"] * 4  # the host's ids, mapped as they are
    assert int(s["CapEff"], 16) == FILE_CAPABILITIES and s["NoNewPrivs"] == "1" and s["Seccomp"] == "2"
    assert os.readlink(f"/proc/{kernel_of(runu.state('c1')['pid'])}/ns/user") != os.readlink("/proc/self/ns/user")
    runu("delete", "--force", "c1")
    assert (tmp_path / "upper" / "rootfs" / "made").read_text() == "made\n"
