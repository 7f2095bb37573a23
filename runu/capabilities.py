"""Linux capability names as the OCI spec writes them, and their bit numbers."""

from runu.errors import RunuError

_NAMES = (
    "CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP "
    "LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER "
    "SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT SYS_ADMIN SYS_BOOT SYS_NICE "
    "SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP "
    "MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF "
    "CHECKPOINT_RESTORE"
).split()
CAPABILITIES = {f"CAP_{name}": bit for bit, name in enumerate(_NAMES)}


def mask(names: list[str]) -> int:
    """The bit mask of a list of capability names; an unknown name is an error."""
    bits = 0
    for name in names:
        try:
            bits |= 1 << CAPABILITIES[name.upper()]
        except KeyError:
            raise RunuError(f"unknown capability {name!r}") from None
    return bits
