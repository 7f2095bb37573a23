"""Does KVM really work here? A nested hypervisor may offer /dev/kvm, run a guest that only
halts, and then hang a real one (seen on these machines: QEMU with KVM never reaches the
guest's console) or abort QEMU at its first vCPU setup. So the answer is a real boot: the vm
kind's own emulator and guest kernel, under KVM, with runu's initramfs and no runu arguments:
the init says what is missing and reboots the guest, and -no-reboot ends QEMU with status 0.
Anything else within PROBE_SECONDS (an abort, a hang) means TCG. The answer is kept for the
boot in ANSWER (RUNU_KVM_ANSWER moves it); RUNU_KVM=0 forbids KVM outright."""

import os
from pathlib import Path

DEVICE = "/dev/kvm"
ANSWER = Path(os.environ.get("RUNU_KVM_ANSWER", "/run/runu-kvm"))
PROBE_SECONDS = 10


def probe(qemu_argv: list[str]) -> bool:
    """True if QEMU, given this argv (a guest booting under KVM), ends cleanly in time."""
    import subprocess  # once per boot: not on every create's import path

    try:
        return subprocess.run(qemu_argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=PROBE_SECONDS).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def usable(qemu_argv: list[str]) -> bool:
    """The probe's answer, made once per boot (qemu_argv: what probe() runs)."""
    if os.environ.get("RUNU_KVM") == "0" or not os.path.exists(DEVICE):
        return False
    try:
        return ANSWER.read_text() == "yes"
    except FileNotFoundError:
        answer = probe(qemu_argv)
        tmp = ANSWER.with_name(f"{ANSWER.name}.{os.getpid()}")
        tmp.write_text("yes" if answer else "no")
        tmp.replace(ANSWER)
        return answer
