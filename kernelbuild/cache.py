"""Where the builder keeps downloads and build trees between runs."""

import hashlib
import os
import shutil
from pathlib import Path

CACHE = Path(os.environ.get("RUNU_CACHE", "/var/cache/runu"))


def digest(*parts: bytes | str) -> str:
    """A short content hash: the key of every cached build."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


def build_once(path: Path, make) -> Path:
    """make(tmp) fills a fresh directory that becomes `path` atomically; skipped if `path`
    exists (an interrupted build leaves only a .partial, started over next time)."""
    if path.is_dir():
        return path
    tmp = path.with_name(path.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    make(tmp)
    tmp.rename(path)
    return path
