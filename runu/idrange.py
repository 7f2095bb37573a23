"""Host id ranges: each container's sandbox runs as its own 65536 host uids and gids.

Range N is RANGE_BASE + N * RANGE_SIZE. A range is taken by creating its lease file with
O_EXCL (so concurrent creates never share one) and given back at delete; a lease whose
container directory is gone (a runu killed mid-create, a reboot of --root) is taken over.
The ids 2^28..2^29-1 are runu's: nothing else on the host may own files or run there.
"""

import os
from pathlib import Path

from runu import abi
from runu.errors import RunuError

RANGE_BASE = abi.ID_RANGE_BASE
RANGE_SIZE = 1 << 16  # ext/runu-privdrop.h RUNU_ID_COUNT
RANGES = 1 << 12
LEASES = Path(os.environ.get("RUNU_ID_LEASES", abi.ID_LEASES))


def _lease(index: int) -> Path:
    return LEASES / str(index)


def _take(index: int, owner: Path) -> bool:
    try:
        fd = os.open(_lease(index), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as f:
        f.write(str(owner))
    return True


def _is_stale(index: int) -> bool:
    try:
        return not Path(_lease(index).read_text()).is_dir()
    except FileNotFoundError:
        return True


def allocate(owner: Path) -> int:
    """The base of a free range, leased to the container directory `owner`."""
    LEASES.mkdir(mode=0o700, exist_ok=True)
    start = hash(owner.name) % RANGES  # spread: a scan from 0 would grow with the count
    for index in ((start + i) % RANGES for i in range(RANGES)):
        if _take(index, owner):
            return RANGE_BASE + index * RANGE_SIZE
    for index in range(RANGES):
        if _is_stale(index):
            _lease(index).unlink(missing_ok=True)
            if _take(index, owner):
                return RANGE_BASE + index * RANGE_SIZE
    raise RunuError(f"no free host id range for the sandbox: all {RANGES} are in use")


def release(base: int) -> None:
    if base:
        _lease((base - RANGE_BASE) // RANGE_SIZE).unlink(missing_ok=True)
