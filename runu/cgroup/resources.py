"""linux.resources as cgroup file writes, in v1's and v2's words (the conversions are runc's)."""

from runu.errors import RunuError

UNLIMITED = "max"


class Setting:
    """One value for one controller's file; `field` is the spec field it comes from. A file
    name may list alternatives ("a|b"): the first that the host has is written."""

    def __init__(self, controller: str, v1: tuple[str, str] | None, v2: tuple[str, str] | None, field: str):
        self.controller, self.v1, self.v2, self.field = controller, v1, v2, field

    def file(self, version: int) -> tuple[str, str] | None:
        return self.v1 if version == 1 else self.v2


def _shares_to_weight(shares: int) -> int:
    """cpu.shares (2..262144) to cpu.weight (1..10000)."""
    return 1 + ((max(2, min(shares, 262144)) - 2) * 9999) // 262142


def _blkio_to_io_weight(weight: int) -> int:
    """blkio.weight (10..1000) to io.weight (1..10000)."""
    return 1 + (weight - 10) * 9999 // 990


def _limit(value: int) -> str:
    return UNLIMITED if value is None or value < 0 else str(value)


def _set(value) -> bool:
    return value not in (None, 0, "")


def settings(resources: dict, memory_overhead: int, guest_memory: int, pids_overhead: int = 0) -> list[Setting]:
    """What to write for `resources`. For a kind that sizes its guest, the memory limit is the
    guest's memory plus the sandbox's own overhead (the kernel's text and page tables, the
    helpers): the host must bound all of it whatever the guest does, so there is a limit even
    when the spec sets none. Likewise the pids limit counts the guest's processes (each of its
    address spaces is a host process) plus the sandbox's own."""
    out: list[Setting] = []
    cpu = resources.get("cpu") or {}
    if _set(cpu.get("shares")):
        out.append(Setting("cpu", ("cpu.shares", str(cpu["shares"])),
                           ("cpu.weight", str(_shares_to_weight(cpu["shares"]))), "cpu.shares"))
    if _set(cpu.get("period")) or _set(cpu.get("quota")):
        period, quota = cpu.get("period") or 100000, cpu.get("quota")
        quota_v1 = str(quota) if _set(quota) and quota > 0 else "-1"
        out.append(Setting("cpu", ("cpu.cfs_period_us", str(period)), None, "cpu.period"))
        out.append(Setting("cpu", ("cpu.cfs_quota_us", quota_v1),
                           ("cpu.max", f"{quota_v1 if quota_v1 != '-1' else UNLIMITED} {period}"), "cpu.quota"))
    for key in ("cpus", "mems"):
        if _set(cpu.get(key)):
            out.append(Setting("cpuset", (f"cpuset.{key}", cpu[key]), (f"cpuset.{key}", cpu[key]), f"cpu.{key}"))

    memory = resources.get("memory") or {}
    limit = guest_memory + memory_overhead if guest_memory else (memory.get("limit") or 0)
    if limit > 0:
        out.append(Setting("memory", ("memory.limit_in_bytes", str(limit)), ("memory.max", str(limit)),
                           "memory.limit"))
    swap = memory.get("swap")
    if _set(swap):
        # The spec's swap is memory+swap (v1's memsw); v2 bounds swap alone.
        total = UNLIMITED if swap < 0 else str(swap - (memory.get("limit") or 0) + limit)
        v2 = UNLIMITED if swap < 0 else str(max(0, swap - (memory.get("limit") or 0)))
        out.append(Setting("memory", ("memory.memsw.limit_in_bytes", "-1" if total == UNLIMITED else total),
                           ("memory.swap.max", v2), "memory.swap"))
    if _set(memory.get("reservation")):
        out.append(Setting("memory", ("memory.soft_limit_in_bytes", str(memory["reservation"])),
                           ("memory.low", str(memory["reservation"])), "memory.reservation"))

    pids = (resources.get("pids") or {}).get("limit")
    if _set(pids):
        value = _limit(pids + pids_overhead if pids > 0 else -1)
        out.append(Setting("pids", ("pids.max", value), ("pids.max", value), "pids.limit"))

    weight = (resources.get("blockIO") or {}).get("weight")
    if _set(weight):
        if not 10 <= weight <= 1000:
            raise RunuError(f"linux.resources.blockIO.weight: {weight} is outside 10..1000")
        io_weight = _blkio_to_io_weight(weight)
        out.append(Setting("blkio", ("blkio.weight|blkio.bfq.weight", str(weight)),
                           ("io.weight|io.bfq.weight", f"default {io_weight}"), "blockIO.weight"))
    return out
